"""Sender authentication: SPF, DKIM and DMARC alignment, in units and over SMTP.

Every lookup is answered by a local zone (tests.relay.dns_zone); nothing
here queries public DNS. The SMTP client connects from 127.0.0.1, so the
relay tests that check authentication set auth.trusted_networks = [].
"""

from __future__ import annotations

import asyncio
import email
import smtplib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from email.message import EmailMessage
from email.policy import SMTP

import dkim
import pytest

from relay.config import Config, load_config
from relay.dkim import dns_txt_value, generate_private_key_pem
from relay.sender_auth import (
    AuthAction,
    AuthVerdict,
    DkimResult,
    DmarcPolicy,
    DnsResolver,
    DnsTemporaryError,
    Resolver,
    SpfResult,
    TimedResolver,
    aligned,
    check_dkim,
    check_spf,
    find_dmarc_policy,
    organisational_domain,
    outcome_for,
)
from relay.server import Relay
from tests.conftest import Cast, Sink, run_cli, set_config
from tests.relay.dns_zone import LocalDnsServer, SilentResolver, Zone

SELECTOR = "mentor"
SPF_RECORDS = {
    "pass": "v=spf1 ip4:127.0.0.1 -all",
    "fail": "v=spf1 ip4:192.0.2.1 -all",
}
DMARC_POLICIES = ("none", "quarantine", "reject")

StartRelay = Callable[..., Awaitable[Relay]]


@pytest.fixture(scope="module")
def signing_key() -> bytes:
    return generate_private_key_pem()


@pytest.fixture(scope="module")
def other_key() -> bytes:
    return generate_private_key_pem()


@pytest.fixture
def zone(signing_key: bytes) -> Zone:
    """example.org and example.net each publish the signing key under SELECTOR."""
    zone = Zone()
    for domain in ("example.org", "example.net"):
        zone.set_txt(f"{SELECTOR}._domainkey.{domain}", dns_txt_value(signing_key))
    zone.set_txt("_dmarc.example.org", "v=DMARC1; p=reject")
    return zone


@pytest.fixture
async def start_relay(relay_config: Config, cast: Cast) -> AsyncIterator[StartRelay]:
    """Start a relay with these [auth] settings (TOML values) and this resolver."""
    started: list[Relay] = []

    async def start(resolver: Resolver, **auth: str) -> Relay:
        for key, value in auth.items():
            set_config(relay_config.path.parent, "auth", key, value)
        relay = await Relay.open(load_config(relay_config.path), resolver)
        await relay.start()
        started.append(relay)
        return relay

    yield start
    for relay in started:
        await relay.stop()


def message(
    recipient: str = "alex.test@relay.example.org",
    subject: str = "Plans for next week",
    sender: str = "Sam Jones <sam@example.org>",
) -> bytes:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = recipient
    mail["Subject"] = subject
    mail.set_content("Hello Alex, shall we talk about revision on Tuesday?\n")
    return mail.as_bytes(policy=SMTP)


def signed(raw: bytes, key: bytes, domain: str = "example.org") -> bytes:
    signature = dkim.sign(
        raw,
        SELECTOR.encode(),
        domain.encode(),
        key,
        include_headers=[b"from", b"to", b"subject"],
    )
    return bytes(signature) + raw


def with_dkim(raw: bytes, case: str, key: bytes) -> bytes:
    """Sign for example.org ("pass"), sign then alter the body ("fail"), or not."""
    if case == "pass":
        return signed(raw, key)
    if case == "fail":
        return signed(raw, key).replace(b"Tuesday", b"Thursday")
    return raw


def transact(port: int, mail_from: str, recipient: str, data: bytes) -> tuple[int, str]:
    """Send one message and return the first refusal, or the final 250 reply."""
    with smtplib.SMTP("127.0.0.1", port) as client:
        client.ehlo("client.example.net")
        code, text = client.mail(mail_from)
        if code != 250:
            return code, text.decode()
        code, text = client.rcpt(recipient)
        if code != 250:
            return code, text.decode()
        code, text = client.data(data)
        return code, text.decode()


async def send(
    relay: Relay, cast: Cast, data: bytes, mail_from: str = "sam@example.org"
) -> tuple[int, str]:
    port = relay.config.smtp.listen.port
    return await asyncio.to_thread(transact, port, mail_from, cast.alex, data)


def queue_id(reply: str) -> str:
    return reply.rsplit(" ", 1)[1]


async def stored_auth_results(relay: Relay, reply: str) -> str:
    row = await relay.archive.message(queue_id(reply))
    assert row is not None
    return str(row["auth_results"])


async def wait_until_filtered(relay: Relay, ident: str) -> dict[str, object]:
    deadline = time.monotonic() + 15.0
    while time.monotonic() < deadline:
        row = await relay.archive.message(ident)
        if row is not None and row["status"] != "received":
            return dict(row)
        await asyncio.sleep(0.02)
    raise AssertionError(f"message {ident} was not filtered within 15 s")


# Organisational domains and alignment


def test_organisational_domain_keeps_two_labels() -> None:
    assert organisational_domain("mail.example.org") == "example.org"
    assert organisational_domain("a.b.example.org.") == "example.org"
    assert organisational_domain("Example.ORG") == "example.org"


def test_organisational_domain_knows_uk_suffixes() -> None:
    assert organisational_domain("mail.school.sch.uk") == "school.sch.uk"
    assert organisational_domain("www.charity.org.uk") == "charity.org.uk"
    assert organisational_domain("example.co.uk") == "example.co.uk"


def test_alignment_is_relaxed() -> None:
    assert aligned("mail.example.org", "example.org")
    assert aligned("example.org", "news.example.org")
    assert not aligned("example.net", "example.org")
    assert not aligned("school.sch.uk", "other.sch.uk")
    assert not aligned("", "example.org")


# SPF against the local zone


async def spf_for(zone: Resolver, mail_from: str, client: str = "192.0.2.10") -> str:
    result = await check_spf(zone, client, mail_from, "client.example.net", 1.0)
    return result.result


async def test_spf_ip4_match_passes(zone: Zone) -> None:
    zone.set_txt("example.org", "v=spf1 ip4:192.0.2.0/24 -all")
    result = await check_spf(
        zone, "192.0.2.10", "sam@example.org", "client.example.net", 1.0
    )
    assert result == SpfResult("pass", "example.org", "mailfrom")


async def test_spf_ip6_match_passes(zone: Zone) -> None:
    zone.set_txt("example.org", "v=spf1 ip6:2001:db8::/32 -all")
    assert await spf_for(zone, "sam@example.org", "2001:db8::25") == "pass"


async def test_spf_other_address_fails(zone: Zone) -> None:
    zone.set_txt("example.org", "v=spf1 ip4:198.51.100.0/24 -all")
    assert await spf_for(zone, "sam@example.org") == "fail"


async def test_spf_softfail_all(zone: Zone) -> None:
    zone.set_txt("example.org", "v=spf1 ip4:198.51.100.0/24 ~all")
    assert await spf_for(zone, "sam@example.org") == "softfail"


async def test_spf_without_record_is_none(zone: Zone) -> None:
    assert await spf_for(zone, "sam@example.org") == "none"


async def test_spf_include_passes(zone: Zone) -> None:
    zone.set_txt("example.org", "v=spf1 include:_spf.example.net -all")
    zone.set_txt("_spf.example.net", "v=spf1 ip4:192.0.2.0/24 -all")
    assert await spf_for(zone, "sam@example.org") == "pass"


async def test_spf_mx_mechanism_passes(zone: Zone) -> None:
    zone.set_txt("example.org", "v=spf1 mx -all")
    zone.mx_records["example.org"] = [(10, "mx.example.org")]
    zone.a_records["mx.example.org"] = ["192.0.2.10"]
    assert await spf_for(zone, "sam@example.org") == "pass"


async def test_spf_a_mechanism_passes(zone: Zone) -> None:
    zone.set_txt("example.org", "v=spf1 a:out.example.org -all")
    zone.a_records["out.example.org"] = ["192.0.2.10"]
    assert await spf_for(zone, "sam@example.org") == "pass"


async def test_spf_redirect_passes(zone: Zone) -> None:
    zone.set_txt("example.org", "v=spf1 redirect=_spf.example.org")
    zone.set_txt("_spf.example.org", "v=spf1 ip4:192.0.2.10 -all")
    assert await spf_for(zone, "sam@example.org") == "pass"


async def test_spf_two_records_is_permerror(zone: Zone) -> None:
    zone.set_txt("example.org", "v=spf1 -all", "v=spf1 +all")
    assert await spf_for(zone, "sam@example.org") == "permerror"


async def test_spf_null_sender_checks_helo(zone: Zone) -> None:
    zone.set_txt("client.example.net", "v=spf1 ip4:192.0.2.10 -all")
    result = await check_spf(zone, "192.0.2.10", "", "client.example.net", 1.0)
    assert result == SpfResult("pass", "client.example.net", "helo")


async def test_spf_servfail_is_temperror(zone: Zone) -> None:
    zone.failing.add("example.org")
    assert await spf_for(zone, "sam@example.org") == "temperror"


async def test_spf_silent_dns_is_temperror_quickly() -> None:
    started = time.monotonic()
    resolver = TimedResolver(SilentResolver(), 0.1)
    result = await check_spf(
        resolver, "192.0.2.10", "sam@example.org", "client.example.net", 0.1
    )
    assert result.result == "temperror"
    assert time.monotonic() - started < 2.0


# DKIM against the local zone


async def test_dkim_signature_with_published_key_passes(
    zone: Zone, signing_key: bytes
) -> None:
    raw = signed(message(), signing_key)
    assert await check_dkim(zone, raw, 1.0) == (
        DkimResult("pass", "example.org", SELECTOR),
    )


async def test_dkim_altered_body_fails(zone: Zone, signing_key: bytes) -> None:
    raw = with_dkim(message(), "fail", signing_key)
    assert await check_dkim(zone, raw, 1.0) == (
        DkimResult("fail", "example.org", SELECTOR),
    )


async def test_dkim_wrong_key_fails(zone: Zone, other_key: bytes) -> None:
    raw = signed(message(), other_key)
    assert await check_dkim(zone, raw, 1.0) == (
        DkimResult("fail", "example.org", SELECTOR),
    )


async def test_dkim_missing_key_fails(zone: Zone, signing_key: bytes) -> None:
    raw = signed(message(), signing_key, domain="example.com")
    assert await check_dkim(zone, raw, 1.0) == (
        DkimResult("fail", "example.com", SELECTOR),
    )


async def test_dkim_unsigned_message_has_no_results(zone: Zone) -> None:
    assert await check_dkim(zone, message(), 1.0) == ()


async def test_dkim_key_servfail_is_temperror(zone: Zone, signing_key: bytes) -> None:
    zone.failing.add(f"{SELECTOR}._domainkey.example.org")
    raw = signed(message(), signing_key)
    assert await check_dkim(zone, raw, 1.0) == (
        DkimResult("temperror", "example.org", SELECTOR),
    )


async def test_dkim_checks_every_signature(zone: Zone, signing_key: bytes) -> None:
    raw = signed(signed(message(), signing_key, "example.net"), signing_key)
    results = await check_dkim(zone, raw, 1.0)
    assert [(r.result, r.domain) for r in results] == [
        ("pass", "example.org"),
        ("pass", "example.net"),
    ]


# DMARC policy lookup


async def test_dmarc_policy_of_from_domain(zone: Zone) -> None:
    zone.set_txt("_dmarc.example.org", "v=DMARC1; p=quarantine; rua=mailto:x")
    assert await find_dmarc_policy(zone, "example.org") == DmarcPolicy("quarantine")


async def test_dmarc_subdomain_uses_organisational_sp(zone: Zone) -> None:
    zone.set_txt("_dmarc.example.org", "v=DMARC1; p=reject; sp=none")
    policy = await find_dmarc_policy(zone, "news.example.org")
    assert policy == DmarcPolicy("none")


async def test_dmarc_subdomain_record_wins(zone: Zone) -> None:
    zone.set_txt("_dmarc.news.example.org", "v=DMARC1; p=quarantine")
    policy = await find_dmarc_policy(zone, "news.example.org")
    assert policy == DmarcPolicy("quarantine")


async def test_dmarc_without_record_is_none(zone: Zone) -> None:
    assert await find_dmarc_policy(zone, "example.com") == DmarcPolicy(None)


async def test_dmarc_two_records_count_as_none(zone: Zone) -> None:
    zone.set_txt("_dmarc.example.org", "v=DMARC1; p=reject", "v=DMARC1; p=none")
    assert await find_dmarc_policy(zone, "example.org") == DmarcPolicy(None)


async def test_dmarc_servfail_is_recorded(zone: Zone) -> None:
    zone.failing.add("_dmarc.example.org")
    policy = await find_dmarc_policy(zone, "example.org")
    assert policy == DmarcPolicy(None, temporary_error=True)


# Verdicts and policy


def test_verdict_summary_reads_like_authentication_results() -> None:
    verdict = AuthVerdict(
        "example.org",
        SpfResult("pass", "example.org"),
        (DkimResult("pass", "example.org", "mentor"),),
        DmarcPolicy("none"),
    )
    assert verdict.summary() == (
        "spf=pass smtp.mailfrom=example.org; "
        "dkim=pass header.d=example.org header.s=mentor; "
        "dmarc=pass (p=none) header.from=example.org"
    )


def test_verdict_summary_names_helo_identity() -> None:
    verdict = AuthVerdict(
        "example.org",
        SpfResult("fail", "client.example.net", "helo"),
        (),
        DmarcPolicy(None),
    )
    assert verdict.summary() == (
        "spf=fail smtp.helo=client.example.net; dkim=none; "
        "dmarc=fail (no policy published) header.from=example.org"
    )


def test_unaligned_temperror_is_not_retried() -> None:
    # A retry cannot help when the lookup that failed is for another domain.
    verdict = AuthVerdict(
        "example.org",
        SpfResult("temperror", "example.net"),
        (DkimResult("temperror", "example.com", "mentor"),),
        DmarcPolicy("reject"),
    )
    assert verdict.result == "fail"


def test_aligned_pass_wins_over_temperror() -> None:
    verdict = AuthVerdict(
        "example.org",
        SpfResult("temperror", "example.org"),
        (DkimResult("pass", "example.org", "mentor"),),
        DmarcPolicy("reject"),
    )
    assert verdict.result == "pass"


def test_hold_policy_holds_failures_with_reason() -> None:
    verdict = AuthVerdict(
        "example.org", SpfResult("fail", "example.org"), (), DmarcPolicy("none")
    )
    outcome = outcome_for(verdict, "hold")
    assert outcome.action is AuthAction.HOLD
    assert outcome.reply is None
    assert outcome.hold_reason == (
        "Sender authentication failed: neither SPF nor DKIM passed for the "
        "sender's domain example.org (spf=fail smtp.mailfrom=example.org; "
        "dkim=none; dmarc=fail (p=none) header.from=example.org)."
    )


# The dnspython resolver against a DNS server on loopback


@pytest.fixture
async def dns_server(zone: Zone) -> AsyncIterator[LocalDnsServer]:
    server = LocalDnsServer(zone)
    await server.start()
    yield server
    server.close()


def local_resolver(server: LocalDnsServer, timeout: float = 2.0) -> DnsResolver:
    return DnsResolver(timeout, nameservers=["127.0.0.1"], port=server.port)


async def test_dns_resolver_joins_long_txt_strings(
    dns_server: LocalDnsServer, signing_key: bytes
) -> None:
    record = dns_txt_value(signing_key)
    assert len(record) > 255
    resolver = local_resolver(dns_server)
    assert await resolver.txt(f"{SELECTOR}._domainkey.example.org") == [record]


async def test_dns_resolver_reads_a_aaaa_mx(
    dns_server: LocalDnsServer, zone: Zone
) -> None:
    zone.a_records["mx.example.org"] = ["192.0.2.10"]
    zone.aaaa_records["mx.example.org"] = ["2001:db8::10"]
    zone.mx_records["example.org"] = [(10, "mx.example.org")]
    resolver = local_resolver(dns_server)
    assert await resolver.a("mx.example.org") == ["192.0.2.10"]
    assert await resolver.aaaa("mx.example.org") == ["2001:db8::10"]
    assert await resolver.mx("example.org") == [(10, "mx.example.org")]


async def test_dns_resolver_nxdomain_and_no_data_are_empty(
    dns_server: LocalDnsServer,
) -> None:
    resolver = local_resolver(dns_server)
    assert await resolver.txt("missing.example.org") == []
    assert await resolver.mx(f"{SELECTOR}._domainkey.example.org") == []


async def test_dns_resolver_servfail_is_temporary(
    dns_server: LocalDnsServer, zone: Zone
) -> None:
    zone.failing.add("example.org")
    with pytest.raises(DnsTemporaryError):
        await local_resolver(dns_server).txt("example.org")


async def test_dns_resolver_silent_server_times_out(
    dns_server: LocalDnsServer,
) -> None:
    dns_server.silent = True
    started = time.monotonic()
    with pytest.raises(DnsTemporaryError):
        await local_resolver(dns_server, timeout=0.3).txt("example.org")
    assert time.monotonic() - started < 3.0


# Over SMTP: the spoofing matrix under "enforce"


@pytest.mark.parametrize("dkim_case", ["pass", "fail", "none"])
@pytest.mark.parametrize("spf_case", ["pass", "fail", "none"])
async def test_enforce_delivers_only_aligned_passes(
    start_relay: StartRelay,
    zone: Zone,
    sink: Sink,
    cast: Cast,
    signing_key: bytes,
    spf_case: str,
    dkim_case: str,
) -> None:
    if spf_case in SPF_RECORDS:
        zone.set_txt("example.org", SPF_RECORDS[spf_case])
    relay = await start_relay(zone, trusted_networks="[]")
    expect_delivery = "pass" in (spf_case, dkim_case)

    accepted: list[str] = []
    for policy in DMARC_POLICIES:
        zone.set_txt("_dmarc.example.org", f"v=DMARC1; p={policy}")
        raw = with_dkim(
            message(cast.alex, subject=f"p={policy}"), dkim_case, signing_key
        )
        code, text = await send(relay, cast, raw)
        if not expect_delivery:
            assert (code, text.split(" ")[0]) == (550, "5.7.26"), policy
            continue
        assert code == 250, (policy, text)
        dkim_part = "dkim=none"
        if dkim_case != "none":
            dkim_part = f"dkim={dkim_case} header.d=example.org header.s={SELECTOR}"
        assert await stored_auth_results(relay, text) == (
            f"spf={spf_case} smtp.mailfrom=example.org; {dkim_part}; "
            f"dmarc=pass (p={policy}) header.from=example.org"
        )
        accepted.append(f"p={policy}")

    if expect_delivery:
        deliveries = await sink.wait_for(3)
        subjects = sorted(
            str(email.message_from_bytes(d.data)["Subject"]) for d in deliveries
        )
        assert subjects == accepted
    else:
        assert await relay.archive.message("1") is None
        assert sink.deliveries == []


async def test_refusal_text_names_the_failure(
    start_relay: StartRelay, zone: Zone, cast: Cast
) -> None:
    relay = await start_relay(zone, trusted_networks="[]")
    code, text = await send(relay, cast, message(cast.alex))
    assert code == 550
    assert text == (
        "5.7.26 The message could not be verified as coming from the sender's "
        "domain: send it from your own mail account, through your provider's "
        "servers"
    )


async def test_unaligned_spf_pass_is_refused(
    start_relay: StartRelay, zone: Zone, sink: Sink, cast: Cast
) -> None:
    # SPF passes, but for the envelope's example.net, not the From domain.
    zone.set_txt("example.net", SPF_RECORDS["pass"])
    relay = await start_relay(zone, trusted_networks="[]")
    code, text = await send(relay, cast, message(cast.alex), "bounce@example.net")
    assert (code, text.split(" ")[0]) == (550, "5.7.26")
    assert sink.deliveries == []


async def test_unaligned_dkim_pass_is_refused(
    start_relay: StartRelay, zone: Zone, sink: Sink, cast: Cast, signing_key: bytes
) -> None:
    relay = await start_relay(zone, trusted_networks="[]")
    raw = signed(message(cast.alex), signing_key, domain="example.net")
    code, text = await send(relay, cast, raw)
    assert (code, text.split(" ")[0]) == (550, "5.7.26")
    assert sink.deliveries == []


async def test_subdomain_spf_pass_aligns(
    start_relay: StartRelay, zone: Zone, sink: Sink, cast: Cast
) -> None:
    zone.set_txt("mail.example.org", SPF_RECORDS["pass"])
    relay = await start_relay(zone, trusted_networks="[]")
    code, text = await send(relay, cast, message(cast.alex), "bounce@mail.example.org")
    assert code == 250
    assert await stored_auth_results(relay, text) == (
        "spf=pass smtp.mailfrom=mail.example.org; dkim=none; "
        "dmarc=pass (p=reject) header.from=example.org"
    )
    (delivery,) = await sink.wait_for(1)
    assert delivery.rcpt_tos == ["alex@example.com"]


async def test_null_sender_checks_helo_name(
    start_relay: StartRelay, zone: Zone, sink: Sink, cast: Cast, signing_key: bytes
) -> None:
    # With MAIL FROM:<> SPF checks the HELO name, which is not the From
    # domain here, so only the aligned DKIM signature lets the message in.
    zone.set_txt("client.example.net", SPF_RECORDS["pass"])
    relay = await start_relay(zone, trusted_networks="[]")
    code, text = await send(relay, cast, message(cast.alex), "<>")
    assert (code, text.split(" ")[0]) == (550, "5.7.26")

    code, text = await send(relay, cast, signed(message(cast.alex), signing_key), "<>")
    assert code == 250
    assert await stored_auth_results(relay, text) == (
        "spf=pass smtp.helo=client.example.net; "
        f"dkim=pass header.d=example.org header.s={SELECTOR}; "
        "dmarc=pass (p=reject) header.from=example.org"
    )
    await sink.wait_for(1)


# Over SMTP: hold, DNS failures, skipped checks


async def test_hold_policy_holds_instead_of_delivering(
    start_relay: StartRelay, zone: Zone, sink: Sink, cast: Cast
) -> None:
    zone.set_txt("example.org", SPF_RECORDS["fail"])
    relay = await start_relay(zone, trusted_networks="[]", policy='"hold"')
    code, text = await send(relay, cast, message(cast.alex))
    assert code == 250

    row = await wait_until_filtered(relay, queue_id(text))
    results = (
        "spf=fail smtp.mailfrom=example.org; dkim=none; "
        "dmarc=fail (p=reject) header.from=example.org"
    )
    assert row["status"] == "held"
    assert row["hold_reason"] == (
        "Sender authentication failed: neither SPF nor DKIM passed for the "
        f"sender's domain example.org ({results})."
    )
    assert row["auth_results"] == results
    assert await relay.archive.delivery_jobs_of(int(str(row["id"]))) == []
    assert sink.deliveries == []

    shown = await asyncio.to_thread(
        run_cli, "--config", str(relay.config.path), "show", queue_id(text)
    )
    assert f"authentication: {results}\n" in shown


async def test_dns_temporary_failure_defers(
    start_relay: StartRelay, zone: Zone, sink: Sink, cast: Cast
) -> None:
    zone.failing.add("example.org")
    relay = await start_relay(zone, trusted_networks="[]")
    code, text = await send(relay, cast, message(cast.alex))
    assert code == 451
    assert text.startswith("4.4.3 ")
    assert sink.deliveries == []


async def test_dns_temporary_failure_defers_under_hold(
    start_relay: StartRelay, zone: Zone, cast: Cast, signing_key: bytes
) -> None:
    zone.failing.add(f"{SELECTOR}._domainkey.example.org")
    relay = await start_relay(zone, trusted_networks="[]", policy='"hold"')
    code, text = await send(relay, cast, signed(message(cast.alex), signing_key))
    assert (code, text.split(" ")[0]) == (451, "4.4.3")
    assert await relay.archive.message("1") is None


async def test_aligned_dkim_pass_survives_spf_temperror(
    start_relay: StartRelay, zone: Zone, sink: Sink, cast: Cast, signing_key: bytes
) -> None:
    zone.failing.add("example.org")
    relay = await start_relay(zone, trusted_networks="[]")
    code, text = await send(relay, cast, signed(message(cast.alex), signing_key))
    assert code == 250
    assert await stored_auth_results(relay, text) == (
        "spf=temperror smtp.mailfrom=example.org; "
        f"dkim=pass header.d=example.org header.s={SELECTOR}; "
        "dmarc=pass (p=reject) header.from=example.org"
    )
    await sink.wait_for(1)


async def test_silent_dns_defers_within_budget(
    start_relay: StartRelay, sink: Sink, cast: Cast
) -> None:
    relay = await start_relay(
        SilentResolver(), trusted_networks="[]", dns_timeout_seconds="0.2"
    )
    started = time.monotonic()
    code, text = await send(relay, cast, message(cast.alex))
    elapsed = time.monotonic() - started
    assert (code, text.split(" ")[0]) == (451, "4.4.3")
    # SPF, then the DMARC lookups: a few budgets of 0.2 s, never the
    # resolver's silence.
    assert elapsed < 3.0
    assert sink.deliveries == []


async def test_trusted_network_skips_checks(
    start_relay: StartRelay, zone: Zone, sink: Sink, cast: Cast
) -> None:
    zone.set_txt("example.org", SPF_RECORDS["fail"])
    relay = await start_relay(zone)
    code, text = await send(relay, cast, message(cast.alex))
    assert code == 250
    assert await stored_auth_results(relay, text) == (
        "not checked: client is in auth.trusted_networks"
    )
    assert zone.queries == []
    await sink.wait_for(1)


async def test_policy_off_skips_checks(
    start_relay: StartRelay, zone: Zone, sink: Sink, cast: Cast
) -> None:
    zone.set_txt("example.org", SPF_RECORDS["fail"])
    relay = await start_relay(zone, trusted_networks="[]", policy='"off"')
    code, text = await send(relay, cast, message(cast.alex))
    assert code == 250
    assert await stored_auth_results(relay, text) == "not checked: auth.policy is off"
    assert zone.queries == []
    await sink.wait_for(1)


async def test_relay_without_resolver_defers_checked_mail(
    relay_config: Config, cast: Cast
) -> None:
    set_config(relay_config.path.parent, "auth", "trusted_networks", "[]")
    relay = await Relay.open(load_config(relay_config.path))
    await relay.start()
    try:
        code, text = await send(relay, cast, message(cast.alex))
    finally:
        await relay.stop()
    assert (code, text.split(" ")[0]) == (451, "4.4.3")
