"""Name search as people search: whole words, the words a typed beginning starts, and words a typo or two away.

No pg_trgm (the embedded server has no contrib): each typed word is widened against the vocabulary of name words
(cases.NameWord, kept by triggers) to the words it begins (an index range) and the words one or two edits away
(rapidfuzz over the vocabulary, held in memory for a few seconds); the members are then found with `&&` on the
same GIN index as a whole-word search. Every tier is searched and ranked, whole words first, so what decides the
order is the member's own words, never what else the table holds.
"""

import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import BigIntegerField, BooleanField, Exists, F, Func, OuterRef, Q, Value
from rapidfuzz import process
from rapidfuzz.distance import OSA

from cases.models import Member

EXACT, PREFIX, ONE_TYPO, TWO_TYPOS = 0, 1, 2, 3
TIERS = (EXACT, PREFIX, ONE_TYPO, TWO_TYPOS)
LAST = TWO_TYPOS
SEARCH_WORDS = 6  # words of a query beyond these add nothing a caseworker types (and bound the widening)
PREFIX_FROM = 2  # letters before a word is also read as the beginning of longer words
PREFIX_WORDS = 30  # words a beginning widens to, shortest first
TYPO_FROM = 4  # letters before a word is also read as a typo (three-letter words are one letter from too many)
TWO_TYPOS_FROM = 9  # letters before a word is also read with two typos (shorter words are two from too many)
TYPO_WORDS = 20  # nearest words a typo widens to
PREFIX_SQL = """
SELECT t.token, w.word FROM unnest(%s::text[]) AS t(token)
CROSS JOIN LATERAL (
    SELECT word FROM (
        SELECT word FROM cases_nameword
        WHERE word > t.token COLLATE "C" AND word < (t.token || '{') COLLATE "C"
        ORDER BY word LIMIT 1000
    ) began ORDER BY length(word), word LIMIT %s
) w
"""


class EqualsAny(Func):
    """`expression = ANY(array)`: a long list as one parameter, where `__in` gives every value a placeholder."""

    template = "%(expressions)s)"
    arg_joiner = " = ANY("
    output_field = BooleanField()


def ids_in(case_ids) -> EqualsAny:
    return EqualsAny(F("id"), Value(sorted(case_ids), output_field=ArrayField(BigIntegerField())))


@dataclass(frozen=True)
class NameSearch:
    """The cases a name search finds, as filter arguments: all of them, and tier by tier (whole words first);
    `ranks`, each case's tier, when they were few enough to collect."""

    found: list
    tiers: list[tuple[int, list]]
    ranks: dict[int, int] | None = None


def name_search(tokens: list[str], *, listed: int) -> NameSearch:
    """The cases whose members have every typed word (or a word it begins, or one a typo away), ranked.

    Up to `listed` people are collected once, with each one's tier; past that (a common name) each tier is
    collected on its own, as a list while it is short, else as a subquery the list walks.
    """
    matches = words_matched(tokens)
    rows = members_matched(matches, LAST, limit=listed)
    if rows is not None:
        best: dict[int, int] = {}
        for case_id, tier in rows:
            best[case_id] = min(tier, best.get(case_id, tier))
        tiers = [(tier, [ids_in(ids)]) for tier in TIERS if (ids := [c for c, t in best.items() if t == tier])]
        return NameSearch(found=[ids_in(best)], tiers=tiers, ranks=best)
    return NameSearch(found=[members_exist(matches, LAST)], tiers=common_name_tiers(matches, listed))


def common_name_tiers(matches: list["WordMatches"], listed: int) -> list[tuple[int, list]]:
    """Each tier's filter when more than `listed` people match: the cases of this tier and of no better one."""
    tiers, before = [], set()  # before: the cases of the better tiers, or None once they are a subquery
    for tier in TIERS:
        if tier and not any(m.of(tier) for m in matches):
            continue  # nothing new: the same cases as the tier before
        # Known to be too many when no later tier adds a word: the whole search was.
        widens = any(m.of(later) for m in matches for later in TIERS[tier + 1:])
        rows = members_matched(matches, tier, limit=listed) if widens else None
        if rows is not None and before is not None:
            ids = {case_id for case_id, _ in rows} - before
            if ids:
                tiers.append((tier, [ids_in(ids)]))
            before |= ids
            continue
        if before is None:
            better = [~members_exist(matches, tier - 1)]
        else:
            better = [~ids_in(before)] if before else []
        tiers.append((tier, [members_exist(matches, tier), *better]))
        before = None
    return tiers


def members_exist(matches: list["WordMatches"], tier: int) -> Exists:
    """A member of the case has every typed word, or one of its matches up to `tier`."""
    return Exists(Member.objects.filter(case=OuterRef("pk"),
                                        *[Q(name_tokens__overlap=m.up_to(tier)) for m in matches]))


def members_matched(matches: list["WordMatches"], tier: int, *, limit: int) -> list[tuple[int, int]] | None:
    """(case id, the member's tier) of the members with every word up to `tier`; None past `limit` people.

    A member's tier is that of its worst-matched word: "maria hernandes" is a typo even where "maria" is whole.
    """
    where = " AND ".join(["name_tokens && %s::varchar[]"] * len(matches))
    rank = "CASE " + " ".join(f"WHEN name_tokens && %s::varchar[] THEN {t}" for t in TIERS[:-1]) + f" ELSE {LAST} END"
    ranks = ", ".join([rank] * len(matches))
    params = [list(m.of(t)) for m in matches for t in TIERS[:-1]]
    params += [m.up_to(tier) for m in matches] + [limit + 1]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT case_id, GREATEST(0, {ranks}) FROM cases_member WHERE {where} LIMIT %s", params)
        rows = cursor.fetchall()
    return rows if len(rows) <= limit else None


@dataclass(frozen=True)
class WordMatches:
    """What one typed word matches, tier by tier: itself, the words it begins, words one typo away, two typos."""

    words: tuple[tuple[str, ...], ...]

    def up_to(self, tier: int) -> list[str]:
        return [word for words in self.words[:tier + 1] for word in words]

    def of(self, tier: int) -> tuple[str, ...]:
        return self.words[tier]


def typo_distance(word: str) -> int:
    """Edits tolerated (a transposition is one)."""
    if len(word) < TYPO_FROM:
        return 0
    return 1 if len(word) < TWO_TYPOS_FROM else 2


def words_matched(tokens: list[str]) -> list[WordMatches]:
    """Each typed word (at most SEARCH_WORDS) widened against the vocabulary."""
    tokens = list(dict.fromkeys(token[:60] for token in tokens))[:SEARCH_WORDS]
    began = words_begun(tokens)
    matches = []
    for token in tokens:
        prefix = tuple(began.get(token, ()))
        near = [(word, edits) for word, edits in words_near(token) if word != token and word not in prefix]
        # The word itself always counts: the GIN index, not the vocabulary, is the truth for whole words.
        matches.append(WordMatches(words=((token,), prefix, tuple(w for w, e in near if e == 1),
                                          tuple(w for w, e in near if e == 2))))
    return matches


def words_begun(tokens: list[str]) -> dict[str, list[str]]:
    """The vocabulary's words each token begins (itself excluded), shortest first, in one round trip."""
    long_enough = [token for token in tokens if len(token) >= PREFIX_FROM]
    if not long_enough:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(PREFIX_SQL, [long_enough, PREFIX_WORDS])
        began: dict[str, list[str]] = {}
        for token, word in cursor.fetchall():
            began.setdefault(token, []).append(word)
        return began


def words_near(token: str) -> list[tuple[str, int]]:
    """The vocabulary's words within `typo_distance` edits of the token and how many, nearest first."""
    distance = typo_distance(token)
    if not distance:
        return []
    found = process.extract(token, typo_candidates(token, distance), scorer=OSA.distance, score_cutoff=distance,
                            limit=TYPO_WORDS * 2)  # a word may be a candidate twice
    return sorted({(word, int(edits)) for word, edits, _ in found}, key=lambda hit: (hit[1], hit[0]))[:TYPO_WORDS]


def typo_candidates(token: str, distance: int) -> list[str]:
    """The words of a near length that keep the token's first or second letter, or (one typo) have either one
    place over: a letter changed, dropped, added or swapped leaves one of these wherever it is."""
    buckets = vocabulary_buckets()
    first, second = token[0], token[1]
    keys = [(first, 0), (second, 1)] + ([(second, 0), (first, 1)] if distance == 1 else [])
    return [word for n in range(len(token) - distance, len(token) + distance + 1)
            for letter, at in keys for word in buckets.get((n, at, letter), ())]


_vocabulary: tuple[float, dict[tuple[int, int, str], list[str]]] = (0.0, {})
_vocabulary_lock = threading.Lock()


def vocabulary_buckets() -> dict[tuple[int, int, str], list[str]]:
    """Every name word by (length, 0, first letter) and (length, 1, second letter), read again after
    NAME_SEARCH_VOCABULARY_SECONDS (typos only: whole words and beginnings are read from the table on every
    search, so a word registered a second ago is found by them)."""
    global _vocabulary
    loaded_at, buckets = _vocabulary
    if time.monotonic() - loaded_at < settings.NAME_SEARCH_VOCABULARY_SECONDS:
        return buckets
    with _vocabulary_lock:
        with connection.cursor() as cursor:
            cursor.execute("SELECT word FROM cases_nameword WHERE length(word) > 1")
            buckets = {}
            for (word,) in cursor.fetchall():
                buckets.setdefault((len(word), 0, word[0]), []).append(word)
                buckets.setdefault((len(word), 1, word[1]), []).append(word)
        _vocabulary = (time.monotonic(), buckets)
        return buckets


def vocabulary_forget() -> None:
    """Drop the words held in memory (tests; a process that must see an erasure at once)."""
    global _vocabulary
    _vocabulary = (0.0, {})
