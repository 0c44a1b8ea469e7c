"""Sender authentication of inbound mail: SPF, DKIM and DMARC alignment.

The relay acts for the participant named in the From header (or the envelope
sender), so a message is only as trustworthy as that identity. SPF (RFC 7208)
is checked at MAIL FROM, DKIM (RFC 6376) at the end of DATA, and DMARC's
relaxed alignment (RFC 7489 section 3.1) decides whether either pass speaks
for the sender's domain. The relay requires an aligned pass whatever policy
the domain publishes, because large mail providers publish p=none.

Every DNS query goes through a `Resolver`, so tests answer from a local zone
and only `serve` uses the system's DNS servers. Each lookup has a time budget
(auth.dns_timeout_seconds), so a slow DNS server delays a session by a few
budgets at most.
"""

from __future__ import annotations

import asyncio
import enum
import ipaddress
import logging
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import authres  # type: ignore[import-untyped]
import authres.dmarc  # type: ignore[import-untyped]
import dkim
import dns.asyncresolver
import dns.exception
import dns.rdtypes.ANY.MX
import dns.rdtypes.ANY.TXT
import dns.rdtypes.IN.A
import dns.rdtypes.IN.AAAA
import dns.resolver
import spf  # type: ignore[import-untyped]

from relay import replies
from relay.config import AuthSettings, ConfigError
from relay.dkim import MIN_KEY_BITS, _with_globals

log = logging.getLogger(__name__)

T = TypeVar("T")

# RFC 7208 section 4.6.4 lets a verifier bound the whole SPF evaluation;
# 20 seconds is the least it allows.
SPF_TOTAL_SECONDS = 20.0

# Signatures verified per message. Each costs a DNS lookup and an RSA
# verification, so a forged message with hundreds of them is cut short.
# Legitimate mail rarely carries more than three.
MAX_DKIM_SIGNATURES = 5

# NOTE: a short list of two-label public suffixes replaces the Public
# Suffix List when finding a domain's organisational domain (RFC 7489
# section 3.2). A domain under a suffix missing here, such as a three-label
# one or a hosting suffix like github.io, gets an organisational domain that
# is too short, so senders sharing that suffix would count as aligned.
TWO_LABEL_PUBLIC_SUFFIXES = frozenset(
    {
        "ac.uk",
        "co.uk",
        "gov.uk",
        "ltd.uk",
        "me.uk",
        "net.uk",
        "nhs.uk",
        "org.uk",
        "plc.uk",
        "police.uk",
        "sch.uk",
        "com.au",
        "edu.au",
        "gov.au",
        "net.au",
        "org.au",
        "co.nz",
        "org.nz",
        "co.za",
        "co.in",
        "co.jp",
        "com.br",
        "com.cn",
    }
)

_DMARC_POLICIES = ("none", "quarantine", "reject")

# pyspf and dkimpy run in these threads, which spend most of their time
# waiting for DNS answers. A pool of their own keeps slow DNS from using up
# the event loop's default pool, which the rest of the relay shares.
# NOTE: at most this many checks run at once; more wait for a free thread.
AUTH_THREADS = 32
_executor = ThreadPoolExecutor(AUTH_THREADS, thread_name_prefix="sender-auth")


class DnsTemporaryError(Exception):
    """A DNS lookup failed in a way that may succeed later (SERVFAIL, timeout)."""


class Resolver(Protocol):
    """The DNS lookups sender authentication needs.

    Each method returns [] when the name does not exist or has no records
    of that type, and raises DnsTemporaryError when the lookup failed in a
    way that a retry may fix.
    A TXT record made of several strings comes back as one joined string.
    """

    async def txt(self, name: str) -> list[str]: ...

    async def a(self, name: str) -> list[str]: ...

    async def aaaa(self, name: str) -> list[str]: ...

    async def mx(self, name: str) -> list[tuple[int, str]]: ...


# Resolvers


class DnsResolver:
    """Resolver that queries DNS servers through dnspython's asyncio resolver.

    Without `nameservers` it uses the servers in /etc/resolv.conf.
    """

    def __init__(
        self,
        timeout: float,
        nameservers: Sequence[str] | None = None,
        port: int = 53,
    ) -> None:
        if nameservers is None:
            self._resolver = dns.asyncresolver.Resolver()
        else:
            self._resolver = dns.asyncresolver.Resolver(configure=False)
            self._resolver.nameservers = list(nameservers)
            self._resolver.port = port
        self._resolver.lifetime = timeout

    async def txt(self, name: str) -> list[str]:
        records = await self._resolve(name, "TXT")
        return [
            b"".join(r.strings).decode("utf-8", "replace")
            for r in records
            if isinstance(r, dns.rdtypes.ANY.TXT.TXT)
        ]

    async def a(self, name: str) -> list[str]:
        records = await self._resolve(name, "A")
        return [r.address for r in records if isinstance(r, dns.rdtypes.IN.A.A)]

    async def aaaa(self, name: str) -> list[str]:
        records = await self._resolve(name, "AAAA")
        return [r.address for r in records if isinstance(r, dns.rdtypes.IN.AAAA.AAAA)]

    async def mx(self, name: str) -> list[tuple[int, str]]:
        records = await self._resolve(name, "MX")
        return [
            (r.preference, r.exchange.to_text(omit_final_dot=True))
            for r in records
            if isinstance(r, dns.rdtypes.ANY.MX.MX)
        ]

    async def _resolve(self, name: str, rdtype: str) -> list[Any]:
        try:
            answer = await self._resolver.resolve(
                name, rdtype, search=False, raise_on_no_answer=False
            )
        except (dns.resolver.NXDOMAIN, dns.resolver.YXDOMAIN):
            return []
        except (dns.exception.SyntaxError, dns.exception.FormError):
            # A name that is not a valid DNS name has no records.
            return []
        except dns.exception.DNSException as error:
            raise DnsTemporaryError(
                f"{rdtype} lookup of {name} failed: {type(error).__name__}"
            ) from None
        return list(answer)


class NoResolver:
    """Resolver for a relay started without DNS: every lookup fails as temporary.

    `Relay.open` uses it unless given a resolver, so that a test never
    reaches public DNS by accident, and a relay without DNS defers checked
    mail with 451 instead of accepting it unchecked.
    """

    async def txt(self, name: str) -> list[str]:
        raise DnsTemporaryError("no DNS resolver is configured")

    async def a(self, name: str) -> list[str]:
        raise DnsTemporaryError("no DNS resolver is configured")

    async def aaaa(self, name: str) -> list[str]:
        raise DnsTemporaryError("no DNS resolver is configured")

    async def mx(self, name: str) -> list[tuple[int, str]]:
        raise DnsTemporaryError("no DNS resolver is configured")


class TimedResolver:
    """Resolver that fails a lookup as temporary once it takes `budget` seconds."""

    def __init__(self, resolver: Resolver, budget: float) -> None:
        self._resolver = resolver
        self._budget = budget

    async def txt(self, name: str) -> list[str]:
        return await self._timed(self._resolver.txt(name), "TXT", name)

    async def a(self, name: str) -> list[str]:
        return await self._timed(self._resolver.a(name), "A", name)

    async def aaaa(self, name: str) -> list[str]:
        return await self._timed(self._resolver.aaaa(name), "AAAA", name)

    async def mx(self, name: str) -> list[tuple[int, str]]:
        return await self._timed(self._resolver.mx(name), "MX", name)

    async def _timed(self, lookup: Awaitable[T], rdtype: str, name: str) -> T:
        try:
            return await asyncio.wait_for(lookup, self._budget)
        except TimeoutError:
            raise DnsTemporaryError(
                f"{rdtype} lookup of {name} timed out after {self._budget:g} s"
            ) from None


def system_resolver(settings: AuthSettings) -> Resolver:
    """Return the resolver `serve` uses: the system's DNS servers."""
    if settings.policy == "off":
        return NoResolver()
    try:
        return DnsResolver(settings.dns_timeout_seconds)
    except dns.resolver.NoResolverConfiguration:
        raise ConfigError(
            "auth.policy needs DNS, but /etc/resolv.conf names no DNS server: "
            'add a nameserver line, or set policy = "off" under [auth]'
        ) from None


# Calling the resolver from worker threads


class _BlockingLookup:
    """Runs resolver lookups on the event loop for code running in a thread.

    pyspf and dkimpy are synchronous, so they run in worker threads where
    their parsing and RSA work cannot stall other sessions. Their DNS
    queries come back to the event loop through this object.
    """

    def __init__(
        self, resolver: Resolver, loop: asyncio.AbstractEventLoop, budget: float
    ) -> None:
        self._resolver = resolver
        self._loop = loop
        # The resolver enforces the budget itself; this wait is a backstop.
        self._wait_seconds = budget + 1.0

    def run(self, lookup: Callable[[Resolver], Awaitable[T]], description: str) -> T:
        async def call() -> T:
            return await lookup(self._resolver)

        future = asyncio.run_coroutine_threadsafe(call(), self._loop)
        try:
            return future.result(self._wait_seconds)
        except TimeoutError:
            future.cancel()
            raise DnsTemporaryError(f"{description} timed out") from None

    def spf_records(self, name: str, qtype: str) -> list[tuple[tuple[str, str], Any]]:
        """Look up `name` for pyspf, returning the form its DNSLookup returns."""
        values: list[Any]
        if qtype == "TXT":
            texts = self.run(lambda r: r.txt(name), f"TXT lookup of {name}")
            values = [[text.encode("utf-8")] for text in texts]
        elif qtype == "A":
            values = list(self.run(lambda r: r.a(name), f"A lookup of {name}"))
        elif qtype == "AAAA":
            values = list(self.run(lambda r: r.aaaa(name), f"AAAA lookup of {name}"))
        elif qtype == "MX":
            values = list(self.run(lambda r: r.mx(name), f"MX lookup of {name}"))
        else:
            # NOTE: PTR and the obsolete SPF record type are not looked up, so
            # the deprecated "ptr" mechanism (RFC 7208 section 5.5) never
            # matches and the %{p} macro expands to "unknown".
            values = []
        return [((name, qtype), value) for value in values]

    def dkim_key(self, name: bytes, timeout: float = 0) -> bytes | None:
        """Return the first TXT record of `name` for dkimpy, or None."""
        try:
            text = name.decode("ascii").rstrip(".")
        except UnicodeDecodeError:
            return None
        records = self.run(lambda r: r.txt(text), f"TXT lookup of {text}")
        return records[0].encode("utf-8") if records else None


# SPF


# pyspf 2.0.14 sends every query through its module-level function DNSLookup.
# _SpfQuery.dns is a copy of pyspf's method in which that name resolves to
# _lookup_in_context instead, which calls the _BlockingLookup of the SPF check
# running in the current context. Concurrent sessions so each use their own
# resolver, the spf module itself stays unchanged, and pyspf never queries
# DNS on its own.
_current_lookup: ContextVar[_BlockingLookup] = ContextVar("spf_lookup")


def _lookup_in_context(
    name: str, qtype: str, strict: object = True, timeout: float = 0
) -> list[tuple[tuple[str, str], Any]]:
    lookup = _current_lookup.get(None)
    if lookup is None:
        raise spf.TempError("SPF check run without a resolver")
    try:
        return lookup.spf_records(name, qtype)
    except DnsTemporaryError as error:
        raise spf.TempError(str(error)) from None


# pyspf has no type hints, so mypy treats spf.query as Any.
class _SpfQuery(spf.query):  # type: ignore[misc]
    dns = _with_globals(spf.query.dns, DNSLookup=_lookup_in_context)


@dataclass(frozen=True)
class SpfResult:
    """The SPF result (RFC 7208 section 2.6) for one identity."""

    result: str
    domain: str
    identity: str = "mailfrom"

    @property
    def passed(self) -> bool:
        return self.result == "pass"


async def check_spf(
    resolver: Resolver,
    client_address: str,
    mail_from: str,
    helo: str,
    budget: float,
) -> SpfResult:
    """Check SPF for MAIL FROM, or for the HELO name when MAIL FROM is null.

    `resolver` should enforce the per-lookup budget itself (TimedResolver).
    """
    if not mail_from and not helo:
        return SpfResult("none", "", "helo")
    query = _SpfQuery(
        i=client_address, s=mail_from, h=helo, querytime=SPF_TOTAL_SECONDS
    )
    identity = "helo" if query.ident == "helo" else "mailfrom"
    domain = str(query.o or "").lower()
    loop = asyncio.get_running_loop()
    lookup = _BlockingLookup(resolver, loop, budget)
    result = await loop.run_in_executor(_executor, _run_spf, query, lookup)
    return SpfResult(result, domain, identity)


def _run_spf(query: Any, lookup: _BlockingLookup) -> str:
    token = _current_lookup.set(lookup)
    try:
        result, _code, _explanation = query.check()
    except Exception as error:
        # pyspf reports bad records as permerror itself; anything else is a
        # bug in it, which must not end the session.
        log.warning("SPF check failed unexpectedly: %s", type(error).__name__)
        return "permerror"
    finally:
        _current_lookup.reset(token)
    return str(result)


# DKIM


class _DebugLogger(logging.LoggerAdapter):  # type: ignore[type-arg]
    """Logger that writes every record at debug level.

    dkimpy logs each unverifiable signature at error level, with the
    signing domain in the text. A relay receives forged mail routinely, so
    those records are neither errors nor safe to log above debug.
    """

    def log(self, level: int, msg: object, *args: Any, **kwargs: Any) -> None:
        super().log(logging.DEBUG, msg, *args, **kwargs)


_dkimpy_log = _DebugLogger(log.getChild("dkimpy"), {})


@dataclass(frozen=True)
class DkimResult:
    """The result of verifying one DKIM-Signature field (RFC 8601 section 2.7.1)."""

    result: str
    domain: str
    selector: str

    @property
    def passed(self) -> bool:
        return self.result == "pass"


async def check_dkim(
    resolver: Resolver, raw: bytes, budget: float
) -> tuple[DkimResult, ...]:
    """Verify the first MAX_DKIM_SIGNATURES DKIM signatures of `raw`."""
    loop = asyncio.get_running_loop()
    lookup = _BlockingLookup(resolver, loop, budget)
    return await loop.run_in_executor(_executor, _verify_signatures, raw, lookup)


def _verify_signatures(raw: bytes, lookup: _BlockingLookup) -> tuple[DkimResult, ...]:
    try:
        headers, _body = dkim.rfc822_parse(raw)
    except dkim.DKIMException:
        return ()
    count = sum(1 for name, _ in headers if name.lower() == b"dkim-signature")
    return tuple(
        _verify_signature(raw, index, lookup)
        for index in range(min(count, MAX_DKIM_SIGNATURES))
    )


def _verify_signature(raw: bytes, index: int, lookup: _BlockingLookup) -> DkimResult:
    verifier = dkim.DKIM(raw, logger=_dkimpy_log, minkey=MIN_KEY_BITS)
    try:
        result = "pass" if verifier.verify(index, dnsfunc=lookup.dkim_key) else "fail"
    except DnsTemporaryError:
        result = "temperror"
    except dkim.ValidationError:
        result = "fail"
    except dkim.DKIMException:
        result = "permerror"
    return DkimResult(result, _tag_text(verifier.domain), _tag_text(verifier.selector))


def _tag_text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("ascii", "replace").lower()
    return ""


# DMARC


@dataclass(frozen=True)
class DmarcPolicy:
    """The DMARC policy a domain publishes (RFC 7489 section 6.3).

    `policy` is p=, or sp= when the record was found at the organisational
    domain of a subdomain; None when no valid record was found.
    """

    policy: str | None
    temporary_error: bool = False

    def comment(self) -> str:
        if self.temporary_error:
            return "policy lookup failed"
        if self.policy is None:
            return "no policy published"
        return f"p={self.policy}"


async def find_dmarc_policy(resolver: Resolver, domain: str) -> DmarcPolicy:
    """Find the DMARC policy for `domain`, else for its organisational domain."""
    organisational = organisational_domain(domain)
    try:
        tags = await _dmarc_tags(resolver, domain)
        if tags is not None:
            return DmarcPolicy(_policy_value(tags.get("p")))
        if organisational == domain:
            return DmarcPolicy(None)
        tags = await _dmarc_tags(resolver, organisational)
    except DnsTemporaryError:
        return DmarcPolicy(None, temporary_error=True)
    if tags is None:
        return DmarcPolicy(None)
    return DmarcPolicy(_policy_value(tags.get("sp") or tags.get("p")))


async def _dmarc_tags(resolver: Resolver, domain: str) -> dict[str, str] | None:
    records = [
        text
        for text in await resolver.txt(f"_dmarc.{domain}")
        if text.replace(" ", "").startswith("v=DMARC1")
    ]
    # RFC 7489 section 6.6.3: several records count as none.
    if len(records) != 1:
        return None
    tags: dict[str, str] = {}
    for part in records[0].split(";"):
        key, sep, value = part.partition("=")
        if sep:
            tags.setdefault(key.strip().lower(), value.strip())
    return tags


def _policy_value(value: str | None) -> str | None:
    if value is None or value.lower() not in _DMARC_POLICIES:
        return None
    return value.lower()


def organisational_domain(domain: str) -> str:
    """Return the registered domain of `domain`: example.org for a.b.example.org."""
    labels = domain.lower().rstrip(".").split(".")
    size = 3 if ".".join(labels[-2:]) in TWO_LABEL_PUBLIC_SUFFIXES else 2
    return ".".join(labels[-size:])


def aligned(domain: str, author_domain: str) -> bool:
    """Return whether two domains align in relaxed mode (RFC 7489 section 3.1)."""
    if not domain or not author_domain:
        return False
    return organisational_domain(domain) == organisational_domain(author_domain)


# The verdict


@dataclass(frozen=True)
class AuthVerdict:
    """SPF, DKIM and DMARC results for one message, judged for its sender's domain."""

    author_domain: str
    spf: SpfResult
    dkim: tuple[DkimResult, ...]
    dmarc: DmarcPolicy

    @property
    def result(self) -> str:
        """Return "pass", "fail", or "temperror" when a retry could pass."""
        if self._spf_aligned and self.spf.passed:
            return "pass"
        if any(d.passed for d in self._dkim_aligned):
            return "pass"
        spf_retry = self._spf_aligned and self.spf.result == "temperror"
        dkim_retry = any(d.result == "temperror" for d in self._dkim_aligned)
        return "temperror" if spf_retry or dkim_retry else "fail"

    @property
    def _spf_aligned(self) -> bool:
        return aligned(self.spf.domain, self.author_domain)

    @property
    def _dkim_aligned(self) -> list[DkimResult]:
        return [d for d in self.dkim if aligned(d.domain, self.author_domain)]

    def summary(self) -> str:
        """Return the results as the body of an Authentication-Results field."""
        return "; ".join(str(result) for result in self._authres_results())

    def brief(self) -> str:
        """Return the results without domains, for logs at info level."""
        dkim_results = ",".join(d.result for d in self.dkim) or "none"
        return f"spf={self.spf.result} dkim={dkim_results} dmarc={self.result}"

    def failure_reason(self) -> str:
        return (
            "Sender authentication failed: neither SPF nor DKIM passed for the "
            f"sender's domain {self.author_domain} ({self.summary()})."
        )

    def _authres_results(self) -> list[object]:
        if self.spf.identity == "helo":
            spf_result = authres.SPFAuthenticationResult(
                result=self.spf.result, smtp_helo=self.spf.domain or None
            )
        else:
            spf_result = authres.SPFAuthenticationResult(
                result=self.spf.result, smtp_mailfrom=self.spf.domain or None
            )
        dkim_results = [
            authres.DKIMAuthenticationResult(
                result=d.result, header_d=d.domain or None, header_s=d.selector or None
            )
            for d in self.dkim
        ] or [authres.DKIMAuthenticationResult(result="none")]
        dmarc_result = authres.dmarc.DMARCAuthenticationResult(
            result=self.result,
            result_comment=self.dmarc.comment(),
            header_from=self.author_domain,
        )
        return [spf_result, *dkim_results, dmarc_result]


class AuthAction(enum.Enum):
    ACCEPT = "accept"
    HOLD = "hold"
    REJECT = "reject"
    DEFER = "defer"


@dataclass(frozen=True)
class AuthOutcome:
    """The SMTP session's action on a message after sender authentication.

    `results` is stored with the message; `hold_reason` is set for HOLD.
    """

    action: AuthAction
    results: str
    hold_reason: str | None = None

    @property
    def reply(self) -> str | None:
        """Return the SMTP refusal for REJECT and DEFER, else None."""
        if self.action is AuthAction.REJECT:
            return replies.SENDER_NOT_VERIFIED.format()
        if self.action is AuthAction.DEFER:
            return replies.SENDER_CHECK_UNAVAILABLE.format()
        return None


_PAST_TENSE = {
    AuthAction.ACCEPT: "accepted",
    AuthAction.HOLD: "held",
    AuthAction.REJECT: "rejected",
    AuthAction.DEFER: "deferred",
}


def outcome_for(verdict: AuthVerdict, policy: str) -> AuthOutcome:
    """Apply auth.policy ("enforce" or "hold") to a verdict."""
    results = verdict.summary()
    if verdict.result == "pass":
        return AuthOutcome(AuthAction.ACCEPT, results)
    if verdict.result == "temperror":
        return AuthOutcome(AuthAction.DEFER, results)
    if policy == "hold":
        return AuthOutcome(AuthAction.HOLD, results, verdict.failure_reason())
    return AuthOutcome(AuthAction.REJECT, results)


class SenderAuthenticator:
    """Sender authentication for SMTP sessions, as auth settings configure it."""

    def __init__(self, settings: AuthSettings, resolver: Resolver) -> None:
        self._policy = settings.policy
        self._budget = settings.dns_timeout_seconds
        self._resolver = TimedResolver(resolver, settings.dns_timeout_seconds)
        self._trusted = tuple(
            ipaddress.ip_network(network, strict=False)
            for network in settings.trusted_networks
        )

    def skip_reason(self, client_address: str) -> str | None:
        """Return why a client's mail is not checked, or None when it is."""
        if self._policy == "off":
            return "not checked: auth.policy is off"
        if _in_networks(client_address, self._trusted):
            return "not checked: client is in auth.trusted_networks"
        return None

    async def check_spf(
        self, client_address: str, mail_from: str, helo: str
    ) -> SpfResult | None:
        """Check SPF at MAIL FROM; None when this client is not checked."""
        if self.skip_reason(client_address) is not None:
            return None
        return await check_spf(
            self._resolver, client_address, mail_from, helo, self._budget
        )

    async def authenticate(
        self,
        client_address: str,
        spf_result: SpfResult | None,
        raw: bytes,
        author_domain: str,
    ) -> AuthOutcome:
        """Verify DKIM, find the DMARC policy and decide, at the end of DATA."""
        skipped = self.skip_reason(client_address)
        if skipped is not None:
            return AuthOutcome(AuthAction.ACCEPT, skipped)
        verdict = await self.verify(
            spf_result or SpfResult("none", ""), raw, author_domain
        )
        outcome = outcome_for(verdict, self._policy)
        if outcome.action is not AuthAction.ACCEPT:
            log.info(
                "message %s by sender authentication: %s",
                _PAST_TENSE[outcome.action],
                verdict.brief(),
            )
        return outcome

    async def verify(
        self, spf_result: SpfResult, raw: bytes, author_domain: str
    ) -> AuthVerdict:
        dkim_results, dmarc = await asyncio.gather(
            check_dkim(self._resolver, raw, self._budget),
            find_dmarc_policy(self._resolver, author_domain),
        )
        return AuthVerdict(author_domain, spf_result, dkim_results, dmarc)


def _in_networks(
    address: str,
    networks: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network],
) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in networks)
