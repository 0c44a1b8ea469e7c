"""Limits that keep one SMTP client from exhausting the relay.

Connections per client address, free disk space before a transaction,
messages per sender per hour, and the size checks that need the raw bytes
of a message. The SMTP session (relay.smtp) applies them and picks the
reply; nothing here sends SMTP.
"""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from archive.store import Archive
from relay.config import SmtpSettings

FreeSpace = Callable[[Path], int]

# Only CRLF ends a line in SMTP (RFC 5321 section 2.3.8). A bare CR or bare
# LF is read differently by different programs, so the stored copy has none.
_LINE_BREAK = re.compile(rb"\r\n|\r|\n")
# aiosmtpd removes the doubled dot of RFC 5321 section 4.5.2 only at the
# start of a CRLF line. A client that ends its lines with a bare LF, such as
# Python's smtplib given bytes with "\n" endings, still doubles the dot at
# the start of each of those lines, so ".htaccess" would arrive as
# "..htaccess". Only a doubled dot is taken back: a line such a client did
# not stuff keeps its one dot.
_STUFFED_AFTER_BARE_LF = re.compile(rb"(?<!\r)\n\.(?=\.)")
_RATE_WINDOW = timedelta(hours=1)


def free_disk_bytes(folder: Path) -> int:
    """Return the bytes free for unprivileged users on the file system of `folder`."""
    return shutil.disk_usage(folder).free


def required_free_bytes(settings: SmtpSettings) -> int:
    """Return the free space a new transaction needs: 1.5 messages plus the margin.

    The extra half message is headroom for SQLite's write-ahead log and
    temporary files: an estimate, not a measured bound.
    """
    return settings.max_message_bytes * 3 // 2 + settings.disk_margin_bytes


async def has_room_for_message(
    folder: Path, settings: SmtpSettings, free_space: FreeSpace = free_disk_bytes
) -> bool:
    """Return whether the archive's file system has room for one more message."""
    free = await asyncio.to_thread(free_space, folder)
    return free >= required_free_bytes(settings)


async def sender_over_hourly_limit(
    archive: Archive, sender_id: int, limit: int
) -> bool:
    """Return whether the sender has `limit` or more messages in the last hour.

    The count comes from the archive, so it survives a restart of the relay.
    """
    since = datetime.now(UTC) - _RATE_WINDOW
    count = await archive.count_messages_from_sender(
        sender_id, since.isoformat(timespec="seconds")
    )
    return count >= limit


def normalise_line_endings(raw: bytes) -> bytes:
    """Return `raw` with every bare CR and bare LF replaced by CRLF."""
    return _LINE_BREAK.sub(b"\r\n", raw)


def normalise_message_data(raw: bytes) -> bytes:
    """Return DATA as received, with CRLF line endings and no doubled dots.

    aiosmtpd has already removed the doubled dot after each CRLF; this also
    removes the one a client doubled after a bare LF.
    """
    return normalise_line_endings(_STUFFED_AFTER_BARE_LF.sub(b"\n", raw))


def header_block_size(raw: bytes) -> int:
    """Return the size of the header block, without the empty line that ends it.

    `raw` must have CRLF line endings. A message without an empty line is all
    header, so its whole length is returned.
    """
    if raw.startswith(b"\r\n"):
        return 0
    end = raw.find(b"\r\n\r\n")
    return len(raw) if end < 0 else end + 2


class ConnectionTracker:
    """Open SMTP connections, counted per client address.

    `open` refuses a connection that would go past the maximum for its
    address, and `close_all` ends every connection when the relay stops.
    """

    def __init__(self, max_per_client: int) -> None:
        self._max_per_client = max_per_client
        self._open: dict[str, set[asyncio.BaseTransport]] = {}

    def open(self, address: str, transport: asyncio.BaseTransport) -> bool:
        """Count a new connection, or return False (not counted) when at the maximum."""
        transports = self._open.setdefault(address, set())
        if len(transports) >= self._max_per_client:
            return False
        transports.add(transport)
        return True

    def close(self, address: str, transport: asyncio.BaseTransport) -> None:
        """Stop counting a connection; closing one not counted does nothing."""
        transports = self._open.get(address)
        if transports is None:
            return
        transports.discard(transport)
        if not transports:
            del self._open[address]

    def count(self, address: str) -> int:
        return len(self._open.get(address, ()))

    def close_all(self) -> None:
        """Close every counted connection's transport."""
        for transports in list(self._open.values()):
            for transport in list(transports):
                transport.close()
