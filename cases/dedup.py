"""Duplicate detection: blocking keys on indexed columns, then a fuzzy score (no pg_trgm: the embedded server lacks it).

Names are normalised (lower case, no accents, no particles, tokens sorted) so that "Hernández López, María José"
and "maria jose lopez hernandez" meet; family-name initials are sorted for the same reason, since the two family
names are often given in either order in Central America.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from django.db.models import Q
from rapidfuzz import fuzz

PARTICLES = {"de", "del", "la", "las", "los", "y", "da", "dos", "van", "von"}
NAME_MATCH_SCORE = 85
PHONE_DIGITS = 8  # local numbers in MX/GT/HN/SV; the country prefix is often missing or different


def normalise_text(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value or "")
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return re.sub(r"[^a-z0-9]+", " ", plain).strip()


def name_tokens(value: str) -> list[str]:
    return [token for token in normalise_text(value).split() if token not in PARTICLES]


def name_key(given_names: str, family_names: str) -> str:
    return " ".join(sorted(name_tokens(given_names) + name_tokens(family_names)))[:255]


def family_initials(family_names: str) -> str:
    return "".join(sorted(token[0] for token in name_tokens(family_names)))[:8]


def document_key(number: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", (number or "").upper())[:40]


def phone_key(phone: str) -> str:
    digits = re.sub(r"\D", "", phone or "")
    return digits[-PHONE_DIGITS:] if len(digits) >= PHONE_DIGITS else ""


@dataclass(frozen=True)
class PersonKeys:
    name_key: str
    family_initials: str
    birth_year: int | None
    document_key: str
    phone_key: str
    name_tokens: list[str]
    given_tokens: list[str]


def person_keys(*, given_names: str, family_names: str, date_of_birth: date | None, document_number: str = "",
                phone: str = "") -> PersonKeys:
    key = name_key(given_names, family_names)
    return PersonKeys(
        name_key=key, name_tokens=key.split(), given_tokens=name_tokens(given_names),
        family_initials=family_initials(family_names),
        birth_year=date_of_birth.year if date_of_birth else None,
        document_key=document_key(document_number), phone_key=phone_key(phone),
    )


def candidate_blocks(keys: PersonKeys, nationality: str) -> list[Q]:
    """The blocks a new person is compared within: same document, same phone, or same name block."""
    name_block = name_block_of(keys, nationality)
    return exact_blocks(keys) + ([name_block] if name_block is not None else [])


def exact_blocks(keys: PersonKeys) -> list[Q]:
    """The same document or the same phone: few people each, read whole, never cut."""
    blocks = []
    if keys.document_key:
        blocks.append(Q(document_key=keys.document_key))
    if keys.phone_key:
        blocks.append(Q(phone_key=keys.phone_key))
    return blocks


def name_block_of(keys: PersonKeys, nationality: str) -> Q | None:
    """People of the same nationality, family initials, birth year (± 1) sharing a given name; None if unknown."""
    if keys.birth_year and keys.family_initials and keys.given_tokens:
        # Sharing a given name is part of the block: typos are tolerated in the rest (the score judges them),
        # and the block stays small where a few family names are very common. A regex on name_key rather than
        # `&&` on name_tokens, so the planner reads the block index and never the GIN index of a common name.
        words = "|".join(keys.given_tokens)  # normalised tokens: only [a-z0-9], nothing to escape
        return Q(nationality=nationality, family_initials=keys.family_initials,
                 birth_year__range=(keys.birth_year - 1, keys.birth_year + 1),
                 name_key__regex=rf"(^| )({words})( |$)")
    return None


@dataclass(frozen=True)
class Match:
    reasons: tuple[str, ...]
    score: int


def match(keys: PersonKeys, date_of_birth: date | None, candidate) -> Match | None:
    """Why `candidate` (a Member) may be the same person, or None."""
    reasons = []
    if keys.document_key and candidate.document_key == keys.document_key:
        reasons.append("document")
    if keys.phone_key and candidate.phone_key == keys.phone_key:
        reasons.append("phone")
    score = int(fuzz.token_sort_ratio(keys.name_key, candidate.name_key))
    close_birth = (date_of_birth is not None and candidate.date_of_birth is not None
                   and abs((date_of_birth - candidate.date_of_birth).days) <= 366)
    if score >= NAME_MATCH_SCORE and close_birth:
        reasons.append("name")
    return Match(reasons=tuple(reasons), score=score) if reasons else None
