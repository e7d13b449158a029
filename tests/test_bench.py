"""Smoke tests of the benchmark's pieces at a tiny scale: the guardian peer, the final table, the load statistics."""

import os
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.management import call_command
from guardian.models import UserObjectPermission
from rest_framework.test import APIClient

from accounts.models import Office, Programme, User
from bench import mixed, run
from bench.guardian_baseline import twin_grants_build, twin_username
from cases.models import CaseUserObjectPermission
from cases.permissions import cases_visible_to
from tests.factories import household


@pytest.fixture
def demo(db):
    call_command("seed_demo", verbosity=0)
    caravan = Programme.objects.get(code="CARAVAN-2018")
    for office, actor in (("TIJ", "caseworker_tij"), ("TAP", "caseworker_tap")):
        for _ in range(3):
            household(actor=User.objects.get(username=actor), programme=caravan,
                      office=Office.objects.get(code=office))


def visible_ids(username):
    return set(cases_visible_to(User.objects.get(username=username)).values_list("id", flat=True))


@pytest.mark.parametrize("username", ["caseworker_tij", "supervisor_mx"])
def test_the_twin_is_granted_exactly_the_cases_its_user_may_see_in_both_tables(demo, username):
    grants = twin_grants_build(username)
    twin = User.objects.get(username=twin_username(username))

    direct = set(CaseUserObjectPermission.objects.filter(user=twin).values_list("content_object_id", flat=True))
    generic = {int(pk) for pk in UserObjectPermission.objects.filter(user=twin).values_list("object_pk", flat=True)}
    assert direct == generic == visible_ids(username)
    assert grants["direct_fk_grants"] == grants["generic_grants"] == len(visible_ids(username)) > 0
    assert twin_grants_build(username)["direct_fk_grants"] == len(direct)  # rebuilt, not doubled


@pytest.mark.parametrize("url", ["/bench/guardian/cases/", "/bench/guardian-generic/cases/"])
def test_the_guardian_list_returns_the_same_cases_as_the_project_list(demo, settings, url):
    settings.ROOT_URLCONF = "bench.urls"
    twin_grants_build("caseworker_tij")
    ours, peer = APIClient(), APIClient()
    ours.force_authenticate(User.objects.get(username="caseworker_tij"))
    peer.force_authenticate(User.objects.get(username=twin_username("caseworker_tij")))

    ours_rows = ours.get("/api/v1/cases/").json()["results"]
    peer_rows = peer.get(url).json()["results"]

    assert [r["id"] for r in peer_rows] == [r["id"] for r in ours_rows]
    assert set(peer_rows[0]) == set(ours_rows[0])  # the same fields for the role


def test_the_final_table_marks_each_figure_met_or_missed():
    assert run.figure("list", 24.9, 25)["ok"] is True
    assert run.figure("list", 25.1, 25)["ok"] is False
    assert run.figure("ratio", 10.0, 10, at_least=True)["ok"] is True
    assert run.figure("ratio", 9.9, 10, at_least=True)["ok"] is False
    assert run.figure("mixed", None, 200, at_least=True)["ok"] is None


def test_the_final_table_names_every_figure_of_the_issue():
    results = [{"name": f"API list page 1 ({u})", "p95_ms": 20.0} for u in run.ROLES]
    results += [{"name": f"HTML /cases/ page 1 ({u})", "p95_ms": 30.0} for u in run.ROLES]
    results += [{"name": "API search by name (caseworker_tij)", "p95_ms": 10.0},
                {"name": "API registration of 3 with duplicate check", "p95_ms": 70.0},
                {"name": "guardian direct-FK list page 1 (caseworker_tij)", "kind": "direct-FK",
                 "role": "caseworker_tij", "ratio": 12.0},
                {"name": "arrivals board (reception_hn)", "p95_ms": 250.0, "target": 200.0},
                {"name": "dashboard (admin)", "p95_ms": 50.0, "target": 100.0}]
    documents = {"manifest_pdf_300": {"p95_s": 3.0}, "donor_report": {"ratio": 1.7}}

    verdicts = {f["figure"]: f["ok"] for f in run.final_figures(results, documents, {"best_rate": 210.0}, None)}

    assert verdicts["API list p95 (caseworker_tij)"] is True
    assert verdicts["HTML /cases/ p95 (reception_hn)"] is False
    assert verdicts["registration of 3 p95"] is False
    assert verdicts["x faster than guardian direct-FK (caseworker_tij)"] is True
    assert verdicts["manifest PDF 300 passengers p95"] is True
    assert verdicts["donor report / bare SQL"] is False
    assert verdicts["arrivals board (reception_hn) p95"] is False
    assert verdicts["dashboard (admin) p95"] is True
    assert verdicts["mixed load: best req/s at p95 <= 100 ms, 0 errors"] is True


def test_load_statistics_count_errors_and_pick_the_best_clean_rate():
    samples = [(float(ms), True) for ms in range(1, 101)] + [(500.0, False)]
    stats = mixed.load_stats(samples, seconds=2.0)
    assert stats == {"sent": 101, "achieved_rps": 50.0, "p50_ms": 51.0, "p95_ms": 96.0, "errors": 1}

    steps = [{"achieved_rps": 25.0, "p95_ms": 40.0, "errors": 0}, {"achieved_rps": 49.0, "p95_ms": 90.0, "errors": 0},
             {"achieved_rps": 95.0, "p95_ms": 150.0, "errors": 0}, {"achieved_rps": 60.0, "p95_ms": 80.0, "errors": 2}]
    assert mixed.best_rate(steps) == 49.0
    assert mixed.best_rate([]) is None


def test_the_load_generator_sends_every_request_at_its_rate_and_counts_what_was_not_answered():
    import asyncio

    from bench import loadgen

    seen = []

    async def scenario():
        async def answer(reader, writer):
            head = await reader.readuntil(b"\r\n\r\n")
            seen.append(head)
            length = int(next((line.split(b":")[1] for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length")), b"0"))
            body = await reader.readexactly(length) if length else b""
            if b"/broken" in head:
                writer.close()  # hung up without an answer: an error, not a latency
                return
            status = b"201 Created" if body else b"200 OK"
            writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Length: 2\r\n\r\n{}")
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(answer, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        host = f"127.0.0.1:{port}"
        raws = [loadgen.request_bytes("GET", "/api/v1/cases/", host=host, headers={"Authorization": "Token t"},
                                      params={"q": "Ana Núñez"}),
                loadgen.request_bytes("POST", "/api/v1/cases/", host=host, headers={}, body={"a": 1}),
                loadgen.request_bytes("GET", "/broken", host=host, headers={})] * 10
        started = asyncio.get_running_loop().time()
        samples = await loadgen.open_loop("127.0.0.1", port, raws, rate=100)
        elapsed = asyncio.get_running_loop().time() - started
        server.close()
        return samples, elapsed

    # Its own thread: a browser test earlier in the run may leave an event loop running in this one.
    with ThreadPoolExecutor(max_workers=1) as thread:
        samples, elapsed = thread.submit(asyncio.run, scenario()).result()
    assert len(samples) == 30 and sum(ok for _, ok in samples) == 20
    assert elapsed >= 0.29  # open loop: 30 requests at 100/s take 0.3 s whatever the server does
    assert any(b"GET /api/v1/cases/?q=Ana+N%C3%BA%C3%B1ez HTTP/1.1" in head for head in seen)
    assert all(b"Connection: close" in head for head in seen)
    assert loadgen.status_of(b"HTTP/1.1 503 Service Unavailable\r\n") == 503
    assert loadgen.status_of(b"garbage") is None


def test_cpu_per_request_is_split_by_part():
    from bench.loadgen import CpuMeter, process_cpu_seconds

    before = {"app": 1.0, "database": 2.0, "client": 0.5}
    after = {"app": 2.0, "database": 2.5, "client": 0.6}
    assert CpuMeter.per_request_ms(before, after, 100) == {"app": 10.0, "database": 5.0, "client": 1.0}
    assert CpuMeter.per_request_ms(before, after, 0) == {}
    assert process_cpu_seconds(os.getpid()) > 0
    assert process_cpu_seconds(2**22 + 7) == 0.0  # a process that has gone counts nothing


def test_the_sync_bench_uploads_replays_and_registers_online_then_leaves_nothing_behind(demo, settings):
    from bench import sync
    from cases.models import Case
    from sync.models import Device, SyncOperation

    settings.SYNC_BATCH_MAX = 2  # 5 operations: three batches, as 500 make five
    cases_before = Case.objects.count()
    results, lines = {}, []

    row = sync.run(results, log=lines.append, count=5, seed=7)

    assert results["sync_500"] is row
    assert (row["operations"], row["batches"], row["statuses"]) == (5, 3, {"applied": 5})
    assert row["replayed"] == 5 and row["replay_seconds"] > 0 and row["online_seconds"] > 0
    assert row["possible_duplicates"] >= 1 and row["online_possible_duplicates"] >= 1  # the first is a copy
    assert row["ops_per_s"] > 0 and row["batch_p95_ms"] >= row["batch_p50_ms"] > 0
    assert any("sync of 5 registrations" in line for line in lines)
    assert Case.objects.count() == cases_before
    assert not Device.objects.exists() and not SyncOperation.objects.exists()


def test_the_final_table_carries_the_sync_figures():
    results = [{"name": f"API list page 1 ({u})", "p95_ms": 20.0} for u in run.ROLES]
    results += [{"name": f"HTML /cases/ page 1 ({u})", "p95_ms": 30.0} for u in run.ROLES]
    results += [{"name": "API search by name (caseworker_tij)", "p95_ms": 10.0},
                {"name": "API registration of 3 with duplicate check", "p95_ms": 70.0}]
    documents = {"sync_500": {"seconds": 42.0, "replay_seconds": 3.0, "online_seconds": 50.0, "target_s": 60.0}}

    figures = {f["figure"]: f for f in run.final_figures(results, documents, None, None)}

    assert figures["sync 500 registrations"]["ok"] is True and figures["sync 500 registrations"]["unit"] == "s"
    assert figures["sync replay of 500"]["value"] == 3.0
    assert figures["online registration of 500 (baseline)"]["value"] == 50.0
    assert run.final_figures(results, {}, None, None)[-3]["ok"] is None  # not measured
