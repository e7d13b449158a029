"""Name search through the API list, as a caseworker types it: a full name, a surname's beginning, a typo, two
words in the other order. `python -m bench.name_search` (against BENCH_DB, data already generated), or from
bench.run, which calls `measure_name_search` after the core measures.

The generator's names come from short lists (~90 distinct words), where a real register of a million people has
tens of thousands: the vocabulary is padded with BENCH_VOCABULARY (default 40,000) made-up words that no member
has, so the widening (beginnings read from the index, typos scored against the vocabulary in memory) works over a
realistic vocabulary. They are marked by a trailing "q", which no generated name has.
"""

import os
import random

TARGET_P95_MS = 25.0
SYLLABLES = ["ba", "be", "ca", "co", "cu", "da", "de", "fa", "ga", "gu", "ja", "la", "le", "li", "lo", "ma", "me",
             "mi", "na", "ne", "no", "pa", "pe", "ra", "re", "ri", "ro", "sa", "se", "ta", "te", "to", "va", "ya",
             "za", "hu", "xo", "tz", "qui", "ch", "ll", "nd", "rn", "st"]


def vocabulary_pad(count: int) -> int:
    """Made-up words ending in "q" up to `count` of them in the vocabulary; how many there are."""
    from django.db import connection

    rng = random.Random(14)
    words = {"".join(rng.choice(SYLLABLES) for _ in range(rng.randrange(2, 5))) + "q" for _ in range(count * 2)}
    words = sorted(words)[:count]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM cases_nameword WHERE word LIKE '%%q'")
        if cursor.fetchone()[0] < len(words):
            cursor.execute("INSERT INTO cases_nameword (word) SELECT unnest(%s::text[]) ON CONFLICT DO NOTHING",
                           [words])
            cursor.execute("VACUUM ANALYZE cases_nameword")
        cursor.execute("SELECT count(*) FROM cases_nameword")
        return cursor.fetchone()[0]


def typo_of(word: str, rng: random.Random) -> str:
    """One letter of the word replaced by another (never the first)."""
    i = rng.randrange(1, len(word))
    return word[:i] + rng.choice([c for c in "aeiourlnstz" if c != word[i]]) + word[i + 1:]


def measure_name_search(n: int = 200, warmup: int = 20) -> dict:
    from rest_framework.test import APIClient

    from accounts.models import User
    from bench.run import log, timed
    from cases.models import Member

    words = vocabulary_pad(int(os.environ.get("BENCH_VOCABULARY", "40000")))
    log(f"[bench] name search: {words:,} words in the vocabulary")
    host = {"SERVER_NAME": "localhost", "HTTP_HOST": "localhost"}
    client = APIClient(**host)
    pk = User.objects.get(username="caseworker_tij").pk
    rng = random.Random(2018)
    names = list(Member.objects.filter(case__registering_office__code="TIJ", relationship="principal")
                 .order_by("?").values_list("given_names", "family_names")[:100])

    def full(given, family):
        return f"{given} {family}"

    def typo(given, family):
        surname, *rest = family.split()
        return " ".join([given.split()[0], typo_of(surname, rng), *rest])

    def reversed_two(given, family):
        return f"{family.split()[-1]} {given.split()[0]}"

    queries = [("full name", full), ("surname beginning \"Hern\"", lambda g, f: "Hern"),
               ("one typo in the surname", typo), ("two words, other order", reversed_two),
               ("a common surname alone \"Hernández\"", lambda g, f: "Hernández")]
    rows = []
    for label, make in queries:
        found = []

        def search(make=make, found=found):
            # A fresh user per request, as real authentication loads it; a different person each time.
            client.force_authenticate(user=User.objects.get(pk=pk))
            response = client.get("/api/v1/cases/", {"q": make(*rng.choice(names))})
            assert response.status_code == 200, response.status_code
            found.append(len(response.json()["results"]))

        stats = timed(search, n, warmup)
        row = {"name": f"API name search: {label} (caseworker_tij)", **stats, "target": TARGET_P95_MS,
               "ok": stats["p95_ms"] <= TARGET_P95_MS, "rows": round(sum(found) / len(found), 1)}
        rows.append(row)
        log(f"  {row['name']:<64} p50 {stats['p50_ms']:>8}  p95 {stats['p95_ms']:>8}  rows {row['rows']}")
    return {"p95_ms": max(r["p95_ms"] for r in rows), "vocabulary": words, "rows": rows}


def main() -> int:
    from bench import run

    run.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT (SELECT count(*) FROM cases_case), (SELECT count(*) FROM cases_member)")
        cases, people = cursor.fetchone()
    run.log(f"[bench] {connection.settings_dict['NAME']}: {cases:,} cases, {people:,} people")
    measure_name_search(int(os.environ.get("BENCH_N", "200")), int(os.environ.get("BENCH_WARMUP", "20")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
