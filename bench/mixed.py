"""Mixed load under gunicorn: 70% list/detail reads by several roles, 20% name searches, 10% registrations.

Open loop: requests leave at a fixed rate whatever the server's answers, and each latency counts from the moment
its request was due (so a queue in the client or the server shows up in the figures). Rates rise in steps until
one is clearly past saturation. Traffic goes to 127.0.0.1 only. The client is bench/loadgen.py (asyncio, requests
built as bytes before each step), which also reports the CPU that the app server, PostgreSQL and the client spent
per answered request: on two cores, that sum is what bounds the throughput.
"""

import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

from bench.loadgen import CpuMeter

ROOT = Path(__file__).resolve().parent.parent
RATES = (25, 50, 100, 150, 200, 250, 300)
TARGET_P95_MS = 100.0
READERS = ("caseworker_tij", "supervisor_mx", "reception_hn", "caseworker_tap")


def load_stats(samples: list, seconds: float) -> dict:
    """samples: (latency ms, ok) per request sent in `seconds`; achieved rate counts the answered ones."""
    latencies = sorted(ms for ms, _ in samples)
    errors = sum(1 for _, ok in samples if not ok)
    if not latencies:
        return {"sent": 0, "achieved_rps": 0.0, "p50_ms": None, "p95_ms": None, "errors": 0}
    p95 = latencies[min(len(latencies) - 1, round(0.95 * len(latencies)) - 1)]
    return {"sent": len(samples), "achieved_rps": round((len(samples) - errors) / seconds, 1),
            "p50_ms": round(statistics.median(latencies), 1), "p95_ms": round(p95, 1), "errors": errors}


def best_rate(steps: list) -> float | None:
    """The highest achieved rate of a step with p95 <= 100 ms and no error."""
    good = [s["achieved_rps"] for s in steps if s["errors"] == 0 and s["p95_ms"] is not None
            and s["p95_ms"] <= TARGET_P95_MS]
    return max(good) if good else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tokens_for(usernames) -> dict:
    from django.test import RequestFactory

    from accounts.models import User
    from accounts.services import api_token_create

    request = RequestFactory().post("/api/v1/tokens/", REMOTE_ADDR="127.0.0.1", HTTP_USER_AGENT="bench-mixed")
    return {u: api_token_create(user=User.objects.get(username=u), request=request)[1] for u in usernames}


def gunicorn_start(port: int, workers: int, threads: int) -> subprocess.Popen:
    command = [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"),
               "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--threads", str(threads),
               "--access-logfile", "/dev/null", "avr.wsgi:application"]
    if not Path(command[0]).exists():
        command[0:1] = [sys.executable, "-m", "gunicorn"]
    process = subprocess.Popen(command, cwd=ROOT, env=os.environ.copy(), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    import requests

    for _ in range(120):
        try:
            requests.get(f"http://127.0.0.1:{port}/health/", timeout=2)  # any answer (503: no Celery worker)
            return process
        except requests.RequestException:
            pass
        time.sleep(0.5)
    process.terminate()
    raise RuntimeError("gunicorn did not answer /health/")


def household(rng, i: int) -> dict:
    from bench.generate import FAMILY, GIVEN_FEMALE, GIVEN_MALE

    family = f"{rng.choice(FAMILY)} {rng.choice(FAMILY)}"
    born = date(rng.randrange(1960, 2004), rng.randrange(1, 13), rng.randrange(1, 29))
    return {
        "programme": "CARAVAN-2018", "office": "TIJ", "destination_country": "HN", "how_heard": "shelter",
        "consent": {"type": "explicit"}, "confirm_duplicates": True,
        "members": [
            {"given_names": rng.choice(GIVEN_FEMALE), "family_names": family, "sex": "female",
             "date_of_birth": born.isoformat(), "nationality": "HN", "relationship": "principal",
             "document_type": "passport", "document_number": f"MIX{i}", "place_of_origin": "Choloma"},
            {"given_names": rng.choice(GIVEN_MALE), "family_names": family, "sex": "male",
             "date_of_birth": f"{rng.randrange(2006, 2018)}-07-02", "nationality": "HN", "relationship": "child",
             "place_of_origin": "Choloma"},
            {"given_names": rng.choice(GIVEN_FEMALE), "family_names": family, "sex": "female",
             "estimated_age": rng.randrange(1, 12), "nationality": "HN", "relationship": "child",
             "place_of_origin": "Choloma"},
        ],
    }


class Mix:
    """Draws the next request: (method, path, params, json body, token)."""

    def __init__(self, base: str, tokens: dict, names: list, seed: int = 14):
        import requests

        self.rng = random.Random(seed)
        self.tokens = tokens
        self.names = names
        self.counter = iter(range(int(time.time()) * 1000, 10**13))
        self.lock = threading.Lock()
        self.detail_ids = {}
        for user in READERS:
            rows = requests.get(f"{base}/api/v1/cases/", headers=self.auth(user), timeout=30).json()["results"]
            self.detail_ids[user] = [r["id"] for r in rows] or [None]

    def auth(self, user: str) -> dict:
        return {"Authorization": f"Token {self.tokens[user]}"}

    def next(self):
        with self.lock:
            draw = self.rng.random()
            if draw < 0.70:
                user = self.rng.choice(READERS)
                case_id = self.rng.choice(self.detail_ids[user])
                if self.rng.random() < 0.5 or case_id is None:
                    return "GET", "/api/v1/cases/", None, None, user
                return "GET", f"/api/v1/cases/{case_id}/", None, None, user
            if draw < 0.90:
                given, family = self.rng.choice(self.names)
                return "GET", "/api/v1/cases/", {"q": f"{given} {family}"}, None, "caseworker_tij"
            return "POST", "/api/v1/cases/", None, household(self.rng, next(self.counter)), "caseworker_tij"


def step(port: int, mix: Mix, rate: int, seconds: float, meter=None) -> dict:
    from bench.loadgen import request_bytes, timed_step

    host = f"127.0.0.1:{port}"
    requests = [request_bytes(method, path, host=host, headers=mix.auth(user), params=params, body=body)
                for method, path, params, body, user in (mix.next() for _ in range(int(rate * seconds)))]
    samples, elapsed, cpu = timed_step("127.0.0.1", port, requests, rate, meter)
    return {"rate": rate, **load_stats(samples, elapsed), "cpu_ms_per_request": cpu}


def run(*, log=print, rates=None, seconds=None, workers=None, threads=None) -> dict:
    from accounts.models import User  # noqa: F401  (Django is set up by the caller)
    from cases.models import Member

    rates = rates or [int(r) for r in os.environ.get("BENCH_MIXED_RATES", ",".join(map(str, RATES))).split(",")]
    seconds = seconds or float(os.environ.get("BENCH_MIXED_SECONDS", "12"))
    workers = workers or int(os.environ.get("BENCH_MIXED_WORKERS", "4"))
    threads = threads or int(os.environ.get("BENCH_MIXED_THREADS", "1"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    tokens = tokens_for(set(READERS) | {"caseworker_tij"})
    names = list(Member.objects.filter(case__registering_office__code="TIJ", relationship="principal")
                 .order_by("?").values_list("given_names", "family_names")[:200])
    process = gunicorn_start(port, workers, threads)
    steps = []
    try:
        mix = Mix(base, tokens, names)
        meter = CpuMeter(process.pid)
        for rate in rates:
            result = step(port, mix, rate, seconds, meter)
            steps.append(result)
            cpu = ", ".join(f"{part} {ms}" for part, ms in result["cpu_ms_per_request"].items())
            log(f"  mixed {rate:>4} req/s offered: {result['achieved_rps']:>6} achieved, p50 {result['p50_ms']} "
                f"p95 {result['p95_ms']} ms, {result['errors']} errors; CPU ms per request: {cpu}")
            if result["p95_ms"] is None or result["p95_ms"] > 2000:  # far past saturation: stop (bounded)
                break
    finally:
        process.terminate()
        process.wait(timeout=30)
    return {"workers": workers, "threads": threads, "seconds_per_step": seconds, "steps": steps,
            "best_rate": best_rate(steps), "target_p95_ms": TARGET_P95_MS}
