"""Stable HSDS identifiers: a UUID that carries what kind of row it names and that row's key.

HSDS wants a UUID for every object. Ours are RFC 9562 version-8 ("custom") UUIDs laid
out as a fixed 48-bit tag, the version, a 12-bit kind, the variant and the row's 62-bit
primary key. They are stable for as long as the row exists (primary keys never change),
they need no table of their own and no write when a new service appears, and a request
for `/services/{id}` decodes the id in memory and makes one indexed query. Clients must
treat them as opaque; an id of the wrong kind (an organisation's id given to
`/services/{id}`) names nothing.
"""

import enum
import uuid

_TAG = 0xC0_9D_0C_ED_05_D1  # "coproduce directory": marks the UUIDs this module made
_VERSION = 8
_VARIANT = 0b10
_PK_BITS = 62


class Kind(enum.IntEnum):
    SERVICE = 1
    ORGANISATION = 2
    COMMUNITY = 3  # the community itself, published as the organisation of resident-led services
    TAXONOMY = 4  # one per community: its skill taxonomy
    TERM = 5  # a skill category
    SERVICE_AT_LOCATION = 6  # one per service
    LOCATION = 7  # one per service: where it happens, coarsely
    ATTRIBUTE = 8  # a service role's link to the category of its skill
    ORGANISATION_PHONE = 9  # an organisation's public contact number


def encode(kind: Kind, pk: int) -> str:
    """The UUID string for row `pk` of `kind`."""
    if not 0 < pk < 1 << _PK_BITS:
        raise ValueError(f"primary key out of range: {pk}")
    value = (_TAG << 80) | (_VERSION << 76) | (int(kind) << 64) | (_VARIANT << 62) | pk
    return str(uuid.UUID(int=value))


def is_uuid(text: str) -> bool:
    """Is `text` a UUID written the usual way (36 characters, with hyphens)?"""
    if len(text) != 36:
        return False
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def decode(text: str, kind: Kind) -> int | None:
    """The primary key that `text` names if it is one of our UUIDs of `kind`; None otherwise."""
    if not is_uuid(text):
        return None
    value = uuid.UUID(text).int
    if (
        value >> 80 != _TAG
        or (value >> 76) & 0xF != _VERSION
        or (value >> 64) & 0xFFF != int(kind)
        or (value >> 62) & 0b11 != _VARIANT
    ):
        return None
    pk = value & ((1 << _PK_BITS) - 1)
    return pk or None


def kind_of(text: str) -> Kind | None:
    """Which kind of our rows `text` names, if it is one of our UUIDs."""
    for kind in Kind:
        if decode(text, kind) is not None:
            return kind
    return None
