"""A record of erasures kept beside the archive, applied again after a restore.

A backup taken before an erasure still contains the erased participant's
messages, name and address. Restoring it would bring them back. So each
erasure appends a line to ARCHIVE.erasures, a file outside the archive that
a restore does not replace, and a restore erases every participant listed
there again.

Each line contains the alias and the time of the erasure as JSON. The alias is
the relay's own address for the participant; the archive keeps it
reserved after an erasure anyway, and it reveals neither the name nor the
real address.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from archive.store import Archive, ArchiveError
from archive.subject import SubjectError, erase_participant

log = logging.getLogger(__name__)


class ErasureLogError(ArchiveError):
    """The erasure record cannot be read or written, with the fix."""


@dataclass(frozen=True)
class LoggedErasure:
    alias: str
    erased_at: str


@dataclass(frozen=True)
class ReplayReport:
    # Aliases erased again in the restored archive.
    erased: tuple[str, ...]
    # Aliases whose erasure could not be applied again, with the reason.
    rejected: tuple[tuple[str, str], ...]

    def lines(self) -> list[str]:
        """Return the replay as lines for a person, none when nothing was done."""
        lines = [
            f"erased {alias} again: the backup predates its erasure"
            for alias in self.erased
        ]
        lines += [
            f"warning: could not erase {alias} again: {reason}"
            for alias, reason in self.rejected
        ]
        return lines


def log_path(archive_path: Path) -> Path:
    """Return the erasure record that belongs to the archive at `archive_path`."""
    return archive_path.with_name(archive_path.name + ".erasures")


def record_erasure(archive_path: Path, alias: str, erased_at: datetime) -> None:
    """Append one erasure to the record, creating it with mode 0600.

    The line is on disk before this returns. The caller records an erasure
    before running it, so the record never misses one that ran.
    """
    line = json.dumps(
        {"alias": alias, "erased_at": erased_at.isoformat(timespec="seconds")}
    )
    path = log_path(archive_path)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(descriptor, (line + "\n").encode())
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
    except OSError as error:
        raise ErasureLogError(
            f"cannot record the erasure of {alias} in {path} ({error.strerror}), "
            "so nothing was erased: make the folder writable and run the "
            "erasure again"
        ) from None


def logged_erasures(archive_path: Path) -> list[LoggedErasure]:
    """Return the erasures recorded for the archive, oldest first."""
    path = log_path(archive_path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except OSError as error:
        raise ErasureLogError(
            f"cannot read the erasure record {path} ({error.strerror}): make it "
            "readable, then restore again"
        ) from None
    entries = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
            entries.append(LoggedErasure(str(value["alias"]), str(value["erased_at"])))
        except (ValueError, KeyError, TypeError):
            # A crash during a write can leave one line cut short. The other
            # lines still count.
            log.warning("erasure record %s: line %d is not readable", path, number)
    return entries


async def replay_erasures(
    archive: Archive, entries: list[LoggedErasure], now: datetime
) -> ReplayReport:
    """Erase again every logged participant that the archive still contains.

    A participant who is not in the archive (registered after the backup)
    or is already erased in it is skipped. One under a legal hold in the
    restored archive is left, and named among the rejected.
    """
    erased: list[str] = []
    rejected: list[tuple[str, str]] = []
    for alias in dict.fromkeys(entry.alias for entry in entries):
        participant = await archive.participant_by_alias(alias)
        if participant is None or await _already_erased(archive, participant.id):
            continue
        try:
            await erase_participant(archive, participant, now)
        except SubjectError as error:
            rejected.append((alias, str(error)))
        else:
            erased.append(alias)
    return ReplayReport(tuple(erased), tuple(rejected))


async def _already_erased(archive: Archive, participant_id: int) -> bool:
    row = await archive._fetchone(
        "SELECT erased_at FROM participants WHERE id = ?", (participant_id,)
    )
    return row is not None and row["erased_at"] is not None
