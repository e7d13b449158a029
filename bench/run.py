"""Case-list benchmark on a separate database: `python -m bench.run` (or `make bench`).

Environment: DATABASE_URL (its database name is replaced by avr_bench), REDIS_URL, BENCH_CASES (default 700,000
cases, ~1M people), BENCH_N (timed repetitions, default 200), BENCH_WARMUP (default 20), BENCH_BASELINE_N
(repetitions of the slow guardian baseline, default BENCH_N), BENCH_SCALES (e.g. "100000,1000000": generate up to
each in turn and print a growth table), BENCH_DB (default avr_bench), BENCH_MIXED=0 to skip the mixed load
(bench/mixed.py has its own BENCH_MIXED_* settings).
bench/sync.py (issue #15) has BENCH_SYNC_N; bench/imports.py (issue #16) has BENCH_IMPORT_N.
Ends with one table of every figure issue #14 names (and issue #15's sync), its target and met/MISSED. Writes var/bench-results.json.
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

BENCH_DB = os.environ.get("BENCH_DB", "avr_bench")
ROOT = Path(__file__).resolve().parent.parent
TARGET_LIST_P95_MS = 25.0
TARGET_REGISTRATION_P95_MS = 60.0
TARGET_GUARDIAN_RATIO = 10.0
TARGET_PAGE_P95_MS = 200.0
TARGET_DASHBOARD_P95_MS = 100.0
TARGET_MIXED_RPS = 200.0
TARGET_SYNC_S = 60.0
TARGET_IMPORT_S = 180.0
ROLES = ("caseworker_tij", "supervisor_mx", "reception_hn")
PAGE_LABELS = ("arrivals board", "movement list", "approval queue", "case list", "home")


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


def core_measures(n: int, warmup: int) -> list:
    """The measures of the scaling curve: lists, search, registration, guardian ratio, queries per page."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from accounts.mfa import MFA_STATE, VERIFIED
    from accounts.models import User
    from bench.generate import FAMILY, GIVEN_FEMALE, GIVEN_MALE
    from cases.models import Member

    host = {"SERVER_NAME": "localhost", "HTTP_HOST": "localhost"}
    results = []

    def record(name, stats, target=None, **extra):
        row = {"name": name, **stats, "target": target, **extra}
        if target is not None and "p95_ms" in stats:
            row["ok"] = stats["p95_ms"] <= target
        results.append(row)
        log(f"  {name:<48} p50 {stats.get('p50_ms', ''):>8}  p95 {stats.get('p95_ms', ''):>8}")

    for username in ROLES:
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

    # The fair peer: guardian over one grant per visible case, whole DRF request, same client, same process.
    for username in ROLES:
        results.extend(guardian_ratio_rows(username, results, host, n, warmup))

    # Queries per API page: constant in the page size.
    tij = User.objects.get(username="caseworker_tij")
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
    results.append({"name": "SQL queries per API page constant", "ok": same, "target": "constant"})
    return results



def guardian_ratio_rows(username: str, results: list, host: dict, n: int, warmup: int) -> list:
    """The guardian peer for one role (direct-FK and generic grants) and its ratio to our API list's p50."""
    from rest_framework.test import APIClient

    from accounts.models import User
    from bench.guardian_baseline import twin_grants_build, twin_username

    grants = twin_grants_build(username)
    twin = User.objects.get(username=twin_username(username))
    ours = next(r for r in results if r["name"] == f"API list page 1 ({username})")
    rows = []
    baseline_n = int(os.environ.get("BENCH_BASELINE_N", n))
    for kind, url, count in (("direct-FK", "/bench/guardian/cases/", grants["direct_fk_grants"]),
                             ("generic", "/bench/guardian-generic/cases/", grants["generic_grants"])):
        api = APIClient(**host)

        def page(api=api, url=url, pk=twin.pk):
            api.force_authenticate(user=User.objects.get(pk=pk))
            response = api.get(url)
            assert response.status_code == 200, response.status_code
            return response

        stats = timed(page, baseline_n, min(warmup, baseline_n))
        ratio = round(stats["p50_ms"] / ours["p50_ms"], 1) if ours["p50_ms"] else None
        row = {"name": f"guardian {kind} list page 1 ({username})", **stats, "target": None, "grants": count,
               "rows": len(page().json()["results"]), "ratio": ratio, "role": username, "kind": kind,
               "ratio_ok": ratio is not None and ratio >= TARGET_GUARDIAN_RATIO}
        log(f"  {row['name']:<48} p50 {stats['p50_ms']:>8}  p95 {stats['p95_ms']:>8}  x{ratio} ({count:,} grants)")
        rows.append(row)
    return rows


def page_measures(n: int, warmup: int) -> list:
    """Pages that grew with the data or looped, and the home page per role: p95 <= 200 ms each."""
    from django.test import Client

    from accounts.mfa import MFA_STATE, VERIFIED
    from accounts.models import User

    host = {"SERVER_NAME": "localhost", "HTTP_HOST": "localhost"}
    pages = [("reception_hn", "/reception/", "arrivals board"), ("movement_mx", "/movements/", "movement list HTML"),
             ("movement_mx", "/api/v1/movements/", "movement list API"),
             ("supervisor_mx", "/cases/approvals/", "approval queue"),
             ("caseworker_tij", "/cases/?umc=1", "case list umc=1"),
             ("caseworker_tij", "/cases/?vulnerability=any", "case list vulnerability=any"),
             ("supervisor_mx", "/cases/?umc=1", "case list umc=1"),
             ("supervisor_mx", "/cases/?vulnerability=any", "case list vulnerability=any")]
    pages += [(u, "/", "home") for u in ("caseworker_tij", "supervisor_mx", "movement_mx", "reception_hn", "admin")]
    rows = []
    for username, url, label in pages:
        client = Client(**host)
        client.force_login(User.objects.get(username=username))
        session = client.session
        session[MFA_STATE] = VERIFIED
        session.save()

        def get(client=client, url=url):
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        name = f"{label} ({username})"
        try:
            stats = timed(get, n, warmup)
        except AssertionError as error:
            rows.append({"name": name, "error": str(error), "target": TARGET_PAGE_P95_MS, "ok": False})
            log(f"  {name:<48} ERROR {error}")
            continue
        rows.append({"name": name, **stats, "target": TARGET_PAGE_P95_MS, "ok": stats["p95_ms"] <= TARGET_PAGE_P95_MS})
        log(f"  {name:<48} p50 {stats['p50_ms']:>8}  p95 {stats['p95_ms']:>8}")
    return rows


def dashboard_measures(n: int, warmup: int) -> list:
    from accounts.dashboard import dashboard_for_user
    from accounts.models import User

    rows = []
    for username in ("caseworker_tij", "supervisor_mx", "movement_mx", "reception_hn", "admin"):
        pk = User.objects.get(username=username).pk
        stats = timed(lambda pk=pk: dashboard_for_user(user=User.objects.get(pk=pk)), n, warmup)
        rows.append({"name": f"dashboard ({username})", **stats, "target": TARGET_DASHBOARD_P95_MS,
                     "ok": stats["p95_ms"] <= TARGET_DASHBOARD_P95_MS})
        log(f"  {rows[-1]['name']:<48} p50 {stats['p50_ms']:>8}  p95 {stats['p95_ms']:>8}")
    return rows


def name_search_measure(n: int, warmup: int):
    """The name-search bench of the search work, when it is there."""
    try:
        from bench.name_search import measure_name_search
    except ImportError:
        return None
    try:
        return measure_name_search(n=n, warmup=warmup)
    except TypeError:
        return measure_name_search()


def figure(name: str, value, target: float | None, *, at_least: bool = False, unit: str = "ms") -> dict:
    """One line of the final table: a figure, its target and whether it is met (None: not measured, or no target:
    a figure shown for comparison)."""
    if value is None or target is None:
        return {"figure": name, "value": value, "target": target, "at_least": at_least, "unit": unit, "ok": None}
    ok = value >= target if at_least else value <= target
    return {"figure": name, "value": value, "target": target, "at_least": at_least, "unit": unit, "ok": ok}


def final_figures(results: list, documents: dict, mixed: dict | None, search: dict | None) -> list:
    by_name = {r["name"]: r for r in results}
    figures = []
    for username in ROLES:
        figures.append(figure(f"API list p95 ({username})", by_name[f"API list page 1 ({username})"]["p95_ms"],
                              TARGET_LIST_P95_MS))
    for username in ROLES:
        figures.append(figure(f"HTML /cases/ p95 ({username})", by_name[f"HTML /cases/ page 1 ({username})"]["p95_ms"],
                              TARGET_LIST_P95_MS))
    search_p95 = (search or {}).get("p95_ms") or by_name["API search by name (caseworker_tij)"]["p95_ms"]
    figures.append(figure("name search p95", search_p95, TARGET_LIST_P95_MS))
    figures.append(figure("registration of 3 p95", by_name["API registration of 3 with duplicate check"]["p95_ms"],
                          TARGET_REGISTRATION_P95_MS))
    for row in results:
        if row.get("kind"):
            figures.append(figure(f"x faster than guardian {row['kind']} ({row['role']})", row["ratio"],
                                  TARGET_GUARDIAN_RATIO, at_least=True, unit="x"))
    manifest = documents.get("manifest_pdf_300") or {}
    figures.append(figure("manifest PDF 300 passengers p95", manifest.get("p95_s"), 4.0, unit="s"))
    donor = documents.get("donor_report") or {}
    figures.append(figure("donor report / bare SQL", donor.get("ratio"), 1.5, unit="x"))
    for row in results:
        if row["name"].startswith(("dashboard", *PAGE_LABELS)):
            figures.append(figure(f"{row['name']} p95", row.get("p95_ms"), row["target"]))
    figures.append(figure("mixed load: best req/s at p95 <= 100 ms, 0 errors",
                          (mixed or {}).get("best_rate"), TARGET_MIXED_RPS, at_least=True, unit="req/s"))
    sync = documents.get("sync_500") or {}  # issue #15: a day of a booth's queue
    figures.append(figure("sync 500 registrations", sync.get("seconds"), sync.get("target_s", TARGET_SYNC_S),
                          unit="s"))
    figures.append(figure("sync replay of 500", sync.get("replay_seconds"), None, unit="s"))
    figures.append(figure("online registration of 500 (baseline)", sync.get("online_seconds"), None, unit="s"))
    imported = documents.get("import_10000") or {}  # issue #16: a partner's file, read, checked, deduplicated
    figures.append(figure("import 10,000 households: parse + validate + dedup", imported.get("seconds"),
                          imported.get("target_s", TARGET_IMPORT_S), unit="s"))
    figures.append(figure("import peak memory, 10,000 households", imported.get("peak_rss_mb"), None, unit="MB"))
    figures.append(figure("import peak memory, 2,000 households", (imported.get("small") or {}).get("peak_rss_mb"),
                          None, unit="MB"))
    return figures


def figures_print(figures: list) -> None:
    print(f"\n{'figure (issues #14, #15)':<58} {'value':>10}  {'target':<14} verdict")
    print("-" * 96)
    for f in figures:
        value = "-" if f["value"] is None else f"{f['value']:g}"
        if f["target"] is None:
            target, verdict = f"({f['unit']})", "not measured" if f["value"] is None else "for comparison"
        else:
            target = f"{'>=' if f['at_least'] else '<='} {f['target']:g} {f['unit']}"
            verdict = "not measured" if f["ok"] is None else ("met" if f["ok"] else "MISSED")
        print(f"{f['figure']:<58} {value:>10}  {target:<14} {verdict}")


def growth_print(per_scale: dict) -> dict:
    """Each timed measure at each scale, and last/first."""
    scales = list(per_scale)
    names = [r["name"] for r in per_scale[scales[0]] if "p95_ms" in r]
    growth = {}
    print(f"\n{'growth, p95 ms':<52} " + " ".join(f"{s:>10,}" for s in scales) + "  last/first")
    for name in names:
        values = [next((r["p95_ms"] for r in per_scale[s] if r["name"] == name), None) for s in scales]
        ratio = round(values[-1] / values[0], 2) if values[0] and values[-1] else None
        growth[name] = {"p95_ms": dict(zip(scales, values)), "last_over_first": ratio}
        print(f"{name:<52} " + " ".join(f"{v:>10}" for v in values) + f"  {ratio}")
    return growth


def scales_from_env() -> list[int]:
    raw = os.environ.get("BENCH_SCALES") or os.environ.get("BENCH_CASES", "700000")
    return sorted(int(s) for s in raw.replace(" ", "").split(",") if s)


def main() -> int:
    setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from bench.generate import generate

    settings.ROOT_URLCONF = "bench.urls"  # the project's URLs plus the guardian baseline lists
    n = int(os.environ.get("BENCH_N", "200"))
    warmup = int(os.environ.get("BENCH_WARMUP", "20"))
    log(f"[bench] database {connection.settings_dict['NAME']}: migrate, seed_demo")
    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0)
    per_scale, generations = {}, {}
    for scale in scales_from_env():
        generations[scale] = generate(scale, log=log)  # tops up: the data of the smaller scale stays
        with connection.cursor() as cursor:
            cursor.execute("SELECT (SELECT count(*) FROM cases_case), (SELECT count(*) FROM cases_member)")
            total_cases, total_people = cursor.fetchone()
        log(f"[bench] scale {scale:,}: {total_cases:,} cases, {total_people:,} people; N={n} after {warmup} warm-ups")
        per_scale[scale] = core_measures(n, warmup)
    results = per_scale[scale]
    growth = growth_print(per_scale) if len(per_scale) > 1 else {}
    log("[bench] pages and dashboards")
    results = results + page_measures(n, warmup) + dashboard_measures(n, warmup)
    search = name_search_measure(n, warmup)
    documents = {}
    log("[bench] documents: the 300-passenger manifest and the donor report")
    from bench import manifest, reports

    manifest.run(documents)
    reports.run(documents)
    log("[bench] sync: a booth's day of queued registrations, replayed, and the online path")
    from bench import sync

    try:
        sync.run(documents, log=log)
    except Exception as error:  # noqa: BLE001 - the table still prints; the figures show as not measured
        log(f"[bench] sync failed: {error!r}")
    log("[bench] imports: a 10,000-household file read, checked and deduplicated, and a 2,000 one for memory")
    from bench import imports

    try:
        imports.run(documents, log=log)
    except Exception as error:  # noqa: BLE001 - the table still prints; the figures show as not measured
        log(f"[bench] imports failed: {error!r}")
    mixed = None
    if os.environ.get("BENCH_MIXED", "1") != "0":
        from bench import mixed as mixed_load

        log("[bench] mixed load under gunicorn")
        try:
            mixed = mixed_load.run(log=log)
        except Exception as error:  # the table still prints; the figure shows as not measured
            log(f"[bench] mixed load failed: {error!r}")
    figures = final_figures(results, documents, mixed, search)
    figures_print(figures)

    out = ROOT / "var" / "bench-results.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "database": connection.settings_dict["NAME"], "cases": total_cases, "people": total_people,
        "scales": list(per_scale), "generation": generations, "n": n, "warmup": warmup,
        "results": results, "per_scale": per_scale, "growth": growth, "name_search": search,
        "documents": documents, "mixed_load": mixed, "figures": figures,
    }, indent=2, default=str))
    print(f"\nresults written to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
