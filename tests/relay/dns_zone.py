"""DNS for sender authentication tests: a zone in memory and a loopback server.

`Zone` implements relay.sender_auth.Resolver from dictionaries, so the SMTP
tests never reach public DNS. `LocalDnsServer` serves the same zone over UDP
on 127.0.0.1, to test the dnspython-backed resolver against a real server.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, cast

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from relay.sender_auth import DnsTemporaryError


def _key(name: str) -> str:
    return name.lower().rstrip(".")


@dataclass
class Zone:
    """Records by name; lookups of a name in `failing` raise DnsTemporaryError."""

    txt_records: dict[str, list[str]] = field(default_factory=dict)
    a_records: dict[str, list[str]] = field(default_factory=dict)
    aaaa_records: dict[str, list[str]] = field(default_factory=dict)
    mx_records: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    failing: set[str] = field(default_factory=set)
    queries: list[tuple[str, str]] = field(default_factory=list)

    def add_txt(self, name: str, *texts: str) -> None:
        self.txt_records.setdefault(_key(name), []).extend(texts)

    def set_txt(self, name: str, *texts: str) -> None:
        self.txt_records[_key(name)] = list(texts)

    async def txt(self, name: str) -> list[str]:
        return list(self._answer(self.txt_records, name, "TXT"))

    async def a(self, name: str) -> list[str]:
        return list(self._answer(self.a_records, name, "A"))

    async def aaaa(self, name: str) -> list[str]:
        return list(self._answer(self.aaaa_records, name, "AAAA"))

    async def mx(self, name: str) -> list[tuple[int, str]]:
        return list(self._answer(self.mx_records, name, "MX"))

    def _answer(self, records: dict[str, list[Any]], name: str, rdtype: str) -> Any:
        self.queries.append((_key(name), rdtype))
        if _key(name) in self.failing:
            raise DnsTemporaryError(f"{rdtype} lookup of {name}: SERVFAIL")
        return records.get(_key(name), [])


class SilentResolver:
    """Resolver whose lookups never finish, like a DNS server that never answers."""

    async def txt(self, name: str) -> list[str]:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def a(self, name: str) -> list[str]:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def aaaa(self, name: str) -> list[str]:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def mx(self, name: str) -> list[tuple[int, str]]:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


class _DnsProtocol(asyncio.DatagramProtocol):
    def __init__(self, server: LocalDnsServer) -> None:
        self._server = server
        self._transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # The selector loop's datagram transport does not subclass
        # asyncio.DatagramTransport, so isinstance cannot narrow it.
        self._transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        response = self._server.respond(dns.message.from_wire(data))
        if response is not None and self._transport is not None:
            self._transport.sendto(response.to_wire(), addr)


class LocalDnsServer:
    """A UDP DNS server on 127.0.0.1 that answers from a Zone.

    Names in the zone's `failing` set get SERVFAIL; with `silent` set, the
    server answers nothing at all.
    """

    def __init__(self, zone: Zone) -> None:
        self.zone = zone
        self.silent = False
        self.port = 0
        self._transport: asyncio.BaseTransport | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._transport, _ = await loop.create_datagram_endpoint(
            lambda: _DnsProtocol(self), local_addr=("127.0.0.1", 0)
        )
        self.port = int(self._transport.get_extra_info("sockname")[1])

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def respond(self, query: dns.message.Message) -> dns.message.Message | None:
        if self.silent:
            return None
        response = dns.message.make_response(query)
        response.flags |= dns.flags.RA
        question = query.question[0]
        name = _key(question.name.to_text())
        if name in self.zone.failing:
            response.set_rcode(dns.rcode.SERVFAIL)
            return response
        values = self._values(name, question.rdtype)
        if values is None:
            response.set_rcode(dns.rcode.NXDOMAIN)
        elif values:
            rdtype = dns.rdatatype.to_text(question.rdtype)
            response.answer.append(
                dns.rrset.from_text_list(
                    question.name, 300, dns.rdataclass.IN, rdtype, values
                )
            )
        return response

    def _values(self, name: str, rdtype: int) -> list[str] | None:
        """Return the records of `name` in zone-file form, or None for NXDOMAIN."""
        zone = self.zone
        known = {
            *zone.txt_records,
            *zone.a_records,
            *zone.aaaa_records,
            *zone.mx_records,
        }
        if name not in known:
            return None
        if rdtype == dns.rdatatype.TXT:
            return [_txt_text(text) for text in zone.txt_records.get(name, [])]
        if rdtype == dns.rdatatype.A:
            return list(zone.a_records.get(name, []))
        if rdtype == dns.rdatatype.AAAA:
            return list(zone.aaaa_records.get(name, []))
        if rdtype == dns.rdatatype.MX:
            return [f"{pref} {host}." for pref, host in zone.mx_records.get(name, [])]
        return []


def _txt_text(text: str) -> str:
    """Write a TXT value in zone-file form, split into 255-octet strings."""
    chunks = [text[start : start + 255] for start in range(0, len(text), 255)]
    return " ".join('"' + chunk.replace('"', '\\"') + '"' for chunk in chunks)
