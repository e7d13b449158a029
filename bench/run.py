"""Case-list benchmark on a separate database: `python -m bench.run` (or `make bench`).

Environment: DATABASE_URL (its database name is replaced by avr_bench), REDIS_URL, BENCH_CASES (default 700,000
cases, ~1M people), BENCH_N (timed repetitions, default 200), BENCH_WARMUP (default 20), BENCH_BASELINE_N
(repetitions of the slow guardian baseline, default BENCH_N).
Writes var/bench-results.json.
"""

import json
import os
import random
import statistics
import sys
import time
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BENCH_DB = "avr_bench"
ROOT = Path(__file__).resolve().parent.parent
TARGET_LIST_P95_MS = 25.0
TARGET_REGISTRATION_P95_MS = 60.0


def log(message: str) -> None:
    print(message, flush=True)


def bench_database_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{BENCH_DB}"))


def ensure_database(url: str) -> None:
    """CREATE DATABASE avr_bench if missing (connecting to the `postgres` database)."""
    import psycopg

    sys.path.insert(0, str(ROOT))
    from avr.env import database_from_url

    cfg = database_from_url(url)
    kwargs = {"dbname": "postgres", "user": cfg["USER"] or None, "password": cfg["PASSWORD"] or None,
              "host": cfg["HOST"] or None, "port": cfg["PORT"] or None, **cfg["OPTIONS"]}
    with psycopg.connect(**{k: v for k, v in kwargs.items() if v is not None}, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
            log(f"[bench] created database {BENCH_DB}")


def setup() -> None:
    url = bench_database_url(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/avr"))
    ensure_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "avr.settings")
    # Measured as in production: DEBUG off (no query log, no template debug), static files from the manifest.
    os.environ.setdefault("DJANGO_DEBUG", "0")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-" + "k" * 50)
    os.environ.setdefault("DJANGO_SECURE", "0")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)


def timed(fn, n: int, warmup: int) -> dict:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return {"p50_ms": round(statistics.median(samples), 2),
            "p95_ms": round(samples[min(len(samples) - 1, int(round(0.95 * len(samples))) - 1)], 2),
            "n": n}


def main() -> int:
    setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from guardian.shortcuts import get_objects_for_user
    from rest_framework.test import APIClient

    from accounts.mfa import MFA_STATE, VERIFIED
    from accounts.models import User
    from bench.generate import FAMILY, GIVEN_FEMALE, GIVEN_MALE, generate
    from cases.models import Case, Member

    n_cases = int(os.environ.get("BENCH_CASES", "700000"))
    n = int(os.environ.get("BENCH_N", "200"))
    warmup = int(os.environ.get("BENCH_WARMUP", "20"))

    log(f"[bench] database {connection.settings_dict['NAME']}: migrate, seed_demo")
    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0)
    generation = generate(n_cases, log=log)
    log(f"[bench] data: {generation}")
    with connection.cursor() as cursor:
        cursor.execute("SELECT (SELECT count(*) FROM cases_case), (SELECT count(*) FROM cases_member)")
        total_cases, total_people = cursor.fetchone()
    log(f"[bench] {total_cases:,} cases, {total_people:,} people; N={n} after {warmup} warm-ups")

    host = {"SERVER_NAME": "localhost", "HTTP_HOST": "localhost"}
    results = []

    def record(name, stats, target=None, **extra):
        row = {"name": name, **stats, "target": target, **extra}
        if target is not None and "p95_ms" in stats:
            row["ok"] = stats["p95_ms"] <= target
        results.append(row)
        log(f"  {name:<48} p50 {stats.get('p50_ms', ''):>8}  p95 {stats.get('p95_ms', ''):>8}")

    for username in ("caseworker_tij", "supervisor_mx", "reception_hn"):
        user = User.objects.get(username=username)
        api = APIClient(**host)
        api.force_authenticate(user=user)

        def first_page(api=api, pk=user.pk):
            # A fresh user per request, as real authentication loads it (no assignment cache carried over).
            api.force_authenticate(user=User.objects.get(pk=pk))
            response = api.get("/api/v1/cases/")
            assert response.status_code == 200, response.status_code
            return response

        rows = len(first_page().json()["results"])
        record(f"API list page 1 ({username})", timed(first_page, n, warmup), TARGET_LIST_P95_MS, rows=rows)

        url = "/api/v1/cases/"
        for _ in range(20):  # follow `next` 20 times
            nxt = api.get(url).json()["next"]
            if not nxt:
                break
            url = nxt
        deep_rows = len(api.get(url).json()["results"])
        record(f"API list page 21, via cursor ({username})",
               timed(lambda api=api, url=url, pk=user.pk: (
                   api.force_authenticate(user=User.objects.get(pk=pk)), api.get(url)), n, warmup), TARGET_LIST_P95_MS, rows=deep_rows)

        html = Client(**host)
        html.force_login(user)
        html_session = html.session  # as if the second factor was given at sign-in (supervisor_mx needs one)
        html_session[MFA_STATE] = VERIFIED
        html_session.save()

        def html_page(html=html):
            response = html.get("/cases/")
            assert response.status_code == 200, response.status_code

        record(f"HTML /cases/ page 1 ({username})", timed(html_page, n, warmup), TARGET_LIST_P95_MS)

    # Search by name (accent-insensitive, any order) within the caseworker's scope.
    searcher = APIClient(**host)

    tij_names = list(Member.objects.filter(case__registering_office__code="TIJ", relationship="principal")
                     .order_by("?").values_list("given_names", "family_names")[:50])
    names = iter(tij_names * (n + warmup + 2))

    def name_search(pk=User.objects.get(username="caseworker_tij").pk):
        # A different person each time, by full name, as a caseworker looks someone up.
        searcher.force_authenticate(user=User.objects.get(pk=pk))
        given, family = next(names)
        response = searcher.get("/api/v1/cases/", {"q": f"{given} {family}"})
        assert response.status_code == 200, response.status_code
        return response

    record("API search by name (caseworker_tij)", timed(name_search, n, warmup), TARGET_LIST_P95_MS,
           rows=len(name_search().json()["results"]))

    # Registration of a household of three with the duplicate check, through the API.
    registrar = APIClient(**host)
    counter = iter(range(int(time.time()) * 1000, 10**13))  # unique documents across runs
    rng = random.Random(2018)

    def register(pk=User.objects.get(username="caseworker_tij").pk):
        # A different household each time, drawn like the generated ones, so blocks hold what real ones would.
        registrar.force_authenticate(user=User.objects.get(pk=pk))
        i = next(counter)
        family = f"{rng.choice(FAMILY)} {rng.choice(FAMILY)}"
        born = date(rng.randrange(1960, 2004), rng.randrange(1, 13), rng.randrange(1, 29))
        body = {
            "programme": "CARAVAN-2018", "office": "TIJ", "destination_country": "HN", "how_heard": "shelter",
            "consent": {"type": "explicit"}, "confirm_duplicates": True,
            "members": [
                {"given_names": rng.choice(GIVEN_FEMALE), "family_names": family, "sex": "female",
                 "date_of_birth": born.isoformat(), "nationality": "HN", "relationship": "principal",
                 "document_type": "passport", "document_number": f"BENCH{i}", "phone": f"+504 {i % 10**8:08d}",
                 "place_of_origin": "Choloma"},
                {"given_names": rng.choice(GIVEN_MALE), "family_names": family, "sex": "male",
                 "date_of_birth": f"{rng.randrange(2006, 2018)}-07-02", "nationality": "HN", "relationship": "child",
                 "place_of_origin": "Choloma"},
                {"given_names": rng.choice(GIVEN_FEMALE), "family_names": family, "sex": "female",
                 "estimated_age": rng.randrange(1, 12),
                 "nationality": "HN", "relationship": "child", "place_of_origin": "Choloma"},
            ],
        }
        response = registrar.post("/api/v1/cases/", body, format="json")
        assert response.status_code == 201, response.content
        return response

    duplicates = len(register().json()["possible_duplicates"])
    record("API registration of 3 with duplicate check", timed(register, n, warmup), TARGET_REGISTRATION_P95_MS,
           candidates=duplicates)

    # Baseline: guardian's generic lookup for a user with group grants on 10% of the TIJ cases.
    tij = User.objects.get(username="caseworker_tij")

    def guardian_page():
        user = User.objects.get(pk=tij.pk)  # no per-object caches carried over
        qs = get_objects_for_user(user, "cases.view_case", klass=Case)
        return list(qs.order_by("-id")[:25])

    rows = len(guardian_page())
    baseline_n = int(os.environ.get("BENCH_BASELINE_N", n))
    record("guardian get_objects_for_user page 1 (baseline)",
           timed(guardian_page, baseline_n, min(warmup, baseline_n)), None,
           rows=rows, grants=generation.get("grants"))

    # Queries per API page: constant in the page size.
    api = APIClient(**host)
    api.force_authenticate(user=tij)
    queries = {}
    for size in (25, 100):
        api.get(f"/api/v1/cases/?page_size={size}")
        api.force_authenticate(user=User.objects.get(pk=tij.pk))  # loading the user is the authentication's query
        with CaptureQueriesContext(connection) as ctx:
            response = api.get(f"/api/v1/cases/?page_size={size}")
        queries[size] = {"queries": len(ctx.captured_queries), "rows": len(response.json()["results"])}
        results.append({"name": f"SQL queries per API page (page_size={size})", **queries[size], "target": "constant"})
    same = queries[25]["queries"] == queries[100]["queries"]

    print()
    header = f"{'benchmark':<52} {'p50 ms':>9} {'p95 ms':>9}  target"
    print(header)
    print("-" * (len(header) + 12))
    for row in results:
        if "p50_ms" in row:
            verdict = "" if row.get("ok") is None else ("  ok" if row["ok"] else "  MISSED")
            tgt = f"p95 <= {row['target']:g} ms" if row["target"] is not None else "(baseline)"
            print(f"{row['name']:<52} {row['p50_ms']:>9.2f} {row['p95_ms']:>9.2f}  {tgt}{verdict}")
        else:
            print(f"{row['name']:<52} {row['queries']:>9} {'queries':>9}  constant"
                  f"{'  ok' if same else '  MISSED'} ({row['rows']} rows)")

    documents = {}
    log("[bench] documents: the 300-passenger manifest and the donor report")
    from bench import manifest, reports

    manifest.run(documents)
    reports.run(documents)

    out = ROOT / "var" / "bench-results.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "database": connection.settings_dict["NAME"], "cases": total_cases, "people": total_people,
        "bench_cases": n_cases, "generation": generation, "n": n, "warmup": warmup,
        "targets": {"list_p95_ms": TARGET_LIST_P95_MS, "registration_p95_ms": TARGET_REGISTRATION_P95_MS}, "queries_constant": same, "results": results,
        "documents": documents,
    }, indent=2, default=str))
    print(f"\nresults written to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
