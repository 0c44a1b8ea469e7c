"""Registering, finding and pairing participants: the checks both front ends run.

The command line and the web console take the same input (a name, an
address, a role, a list of members) and call these functions, so both
accept and reject exactly the same values with the same messages.
"""

from __future__ import annotations

from collections.abc import Sequence

from archive.store import Archive, Participant
from archive.subject import erased_address
from relay.addresses import make_alias, normalise_address
from relay.config import Config

ROLES = ("mentor", "mentee")
# Pieces of text that a participant's name must not contain.
FORBIDDEN_NAME_PARTS = ("=?", "?=", "<", ">", "@", '"')

# A participant to register: (display name, real address, role).
Entry = tuple[str, str, str]


class ParticipantError(Exception):
    """A participant value that cannot be used; the text names it and the fix."""


def validate_participant(name: str, email: str, role: str, config: Config) -> Entry:
    """Return the entry with its name and address normalised, or raise.

    Raises ParticipantError for an empty, overlong or unprintable name, a
    name with characters that mail clients read as markup in a From header,
    an invalid address, an address on the relay's own domain, or an unknown
    role.
    """
    name = _checked_name(name)
    try:
        address = normalise_address(email)
    except ValueError:
        raise ParticipantError(
            f"email {email!r} is not a valid address: give the participant's "
            "own address, such as sam@example.org"
        ) from None
    if address.rpartition("@")[2] == config.domain:
        raise ParticipantError(
            f"email {address} is on the relay's own domain: give the "
            "participant's real address, not an alias"
        )
    if role not in ROLES:
        raise ParticipantError(f"role {role!r} is not valid: use mentor or mentee")
    return name, address, role


def _checked_name(name: str) -> str:
    name = " ".join(name.split())
    if not name or len(name) > 100 or not name.isprintable():
        raise ParticipantError(
            f"name {name!r} is not usable: give 1 to 100 printable characters"
        )
    # The name becomes the display name in the From header of delivered mail.
    # Mail clients decode RFC 2047 encoded-words ("=?utf-8?q?...?=") there,
    # and read quotes, angle brackets and "@" as parts of an address, so any
    # of these would let a name pose as another sender.
    found = [piece for piece in FORBIDDEN_NAME_PARTS if piece in name]
    if found:
        raise ParticipantError(
            f"name {name!r} contains {found[0]!r}, which mail clients read as "
            "encoded text or as part of an address: give the name alone, "
            "such as Sam Jones"
        )
    return name


async def register_participants(
    archive: Archive, config: Config, entries: Sequence[Entry]
) -> list[Participant]:
    """Register validated entries with new aliases, all or none.

    Raises archive.store.DuplicateError when an address is already registered.
    """
    return await archive.add_participants(
        [
            (name, email, role, make_alias(name, config.domain))
            for name, email, role in entries
        ]
    )


async def find_participant(archive: Archive, reference: str) -> Participant:
    """Return the participant with this real address or alias, or raise."""
    try:
        address = normalise_address(reference)
    except ValueError:
        raise ParticipantError(
            f"{reference!r} is not an address: give a participant's email "
            "address or alias"
        ) from None
    found = await archive.participant_by_email(address)
    found = found or await archive.participant_by_alias(address)
    if found is None:
        raise ParticipantError(
            f"{reference} is not a registered participant: register them with "
            "`mentor-relay participant add`"
        )
    return found


def check_members(members: Sequence[Participant]) -> None:
    """Raise ParticipantError unless the members can form a relationship.

    A relationship needs each member once, at least one mentor and one
    mentee, and no suspended or erased member.
    """
    ids = [m.id for m in members]
    if len(set(ids)) != len(ids):
        raise ParticipantError("a participant is named twice: name each member once")
    roles = {m.role for m in members}
    if roles != {"mentor", "mentee"}:
        raise ParticipantError(
            "a relationship needs at least one mentor and one mentee: add the "
            f"missing {'mentee' if 'mentor' in roles else 'mentor'}"
        )
    for member in members:
        # Erasure replaces the address with a placeholder and suspends the
        # alias for good, so restoring the participant is no way out.
        if member.email == erased_address(member.id):
            raise ParticipantError(
                f"{member.alias} was erased, so they cannot be paired: register "
                "the person again for a new alias"
            )
        if member.status != "active":
            raise ParticipantError(
                f"{member.alias} is {member.status}: restore them before pairing"
            )
