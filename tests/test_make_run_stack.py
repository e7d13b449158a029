"""`make run` on a real server: gunicorn, a Celery worker and beat on a fresh database, under a few thousand requests.

The stack is started the way `make run` starts it (`python -m avr.devstack run`), on 127.0.0.1 only, with its own
database (created and dropped here) and its own redis-server. The database connections it holds are sampled from
`pg_stat_activity` while the requests run: they stay bounded by the processes, whatever the number of requests.
"""

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import psycopg
import pytest
from django.conf import settings

from avr.env import database_from_url

pytestmark = pytest.mark.stack

WEB_WORKERS = 3
CELERY_CONCURRENCY = 2  # as avr.devstack starts the worker
# Gunicorn's workers, the Celery worker's children and its main process, beat, and a margin for the health probe.
CONNECTION_BOUND = WEB_WORKERS + CELERY_CONCURRENCY + 1 + 1 + 2
SEQUENTIAL_API_GETS = 2000
CONCURRENT_REQUESTS = 1000
THREADS = 8
DEMO_PASSWORD = "stack-test-demo-2018"
STARTUP_SECONDS = 300
LOAD_SECONDS = 600


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def session_members(session_id: int) -> list[int]:
    """Pids of the live processes in a session (Linux /proc)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] != "Z" and int(fields[3]) == session_id:
            members.append(int(stat.parent.name))
    return members


class Client:
    """A tiny HTTP client on http.client: a new connection per request, cookies and headers kept."""

    def __init__(self, port: int, headers: dict | None = None, cookies: dict | None = None):
        self.port = port
        self.headers = dict(headers or {})
        self.cookies = dict(cookies or {})

    def request(self, method: str, path: str, body: str | None = None, headers: dict | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        sent = {**self.headers, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            content = response.read()
            for header in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    self.cookies[name] = morsel.value
            return response.status, content
        finally:
            connection.close()

    def get(self, path: str):
        return self.request("GET", path)[0]


@pytest.fixture
def stack_database():
    """A fresh database on the server of DATABASE_URL, dropped afterwards."""
    name = f"avr_stack_run_{uuid.uuid4().hex[:10]}"
    params = database_from_url(settings.DATABASE_URL)
    admin = psycopg.connect(host=params["HOST"] or None, port=params["PORT"] or None, user=params["USER"] or None,
                            password=params["PASSWORD"] or None, dbname="postgres", autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(settings.DATABASE_URL)
    url = urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))
    try:
        yield name, url, admin
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def stack_redis(tmp_path):
    """A redis-server of the stack's own on a free port."""
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is not on the PATH")
        pytest.skip("redis-server is not on the PATH")
    port = free_port()
    server = subprocess.Popen([binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly",
                               "no", "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def stack(stack_database, stack_redis, tmp_path):
    """`python -m avr.devstack run` on a free port; stopped with SIGTERM, its session checked empty."""
    name, url, admin = stack_database
    port = free_port()
    hidden = ("CELERY_TASK_ALWAYS_EAGER", "DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL_FILE", "REDIS_URL_FILE",
              "DATABASE_OWNER_URL", "DATABASE_APP_ROLE", "DEMO_PASSWORD")
    env = {key: value for key, value in os.environ.items() if key not in hidden and not key.startswith("PYTEST")}
    env.update({
        "DATABASE_URL": url, "REDIS_URL": stack_redis, "ADDRESS": f"127.0.0.1:{port}", "DJANGO_DEBUG": "1",
        "WEB_CONCURRENCY": str(WEB_WORKERS), "DEMO_PASSWORD": DEMO_PASSWORD, "WORKER_HEARTBEAT_SECONDS": "2",
        "CELERY_BEAT_SCHEDULE_FILENAME": str(tmp_path / "celerybeat-schedule"), "MEDIA_ROOT": str(tmp_path / "media"),
    })
    log = tmp_path / "stack.log"
    with log.open("wb") as output:
        process = subprocess.Popen([sys.executable, "-m", "avr.devstack", "run"], cwd=settings.BASE_DIR, env=env,
                                   stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    running = {"port": port, "database": name, "admin": admin, "process": process, "log": log}
    try:
        wait_for_health(running)
        yield running
    finally:
        stop(process)
        for pid in session_members(process.pid):
            os.kill(pid, signal.SIGKILL)


def stop(process: subprocess.Popen) -> bool:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=40)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        return False
    deadline = time.monotonic() + 10
    while session_members(process.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    return True


def log_tail(running: dict) -> str:
    return running["log"].read_text(errors="replace")[-4000:]


def wait_for_health(running: dict) -> None:
    client, deadline, last = Client(running["port"]), time.monotonic() + STARTUP_SECONDS, None
    while time.monotonic() < deadline:
        if running["process"].poll() is not None:
            pytest.fail(f"the stack stopped while starting:\n{log_tail(running)}")
        try:
            last = client.request("GET", "/health/")
            if last[0] == 200:
                return
        except OSError:
            pass
        time.sleep(1)
    pytest.fail(f"/health/ never answered 200 (last: {last}):\n{log_tail(running)}")


def connections_to(admin, database: str) -> int:
    return admin.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [database]).fetchone()[0]


def connections_settle_to_zero(running: dict) -> bool:
    deadline = time.monotonic() + 10
    while connections_to(running["admin"], running["database"]) and time.monotonic() < deadline:
        time.sleep(0.2)
    return connections_to(running["admin"], running["database"]) == 0


class ConnectionSampler(threading.Thread):
    """Counts the stack's database connections twice a second while the requests run."""

    def __init__(self, running: dict):
        super().__init__(daemon=True)
        params = database_from_url(settings.DATABASE_URL)
        self.database = running["database"]
        self.connection = psycopg.connect(host=params["HOST"] or None, port=params["PORT"] or None,
                                          user=params["USER"] or None, password=params["PASSWORD"] or None,
                                          dbname="postgres", autocommit=True)
        self.samples: list[int] = []
        self.finished = threading.Event()

    def run(self):
        while not self.finished.is_set():
            self.samples.append(connections_to(self.connection, self.database))
            self.finished.wait(0.5)

    def stop(self) -> list[int]:
        self.finished.set()
        self.join(timeout=10)
        self.connection.close()
        return self.samples


def api_token(port: int) -> str:
    status, body = Client(port).request(
        "POST", "/api/v1/auth/token/", body=json.dumps({"username": "caseworker_tij", "password": DEMO_PASSWORD}),
        headers={"Content-Type": "application/json"})
    assert status == 200, body
    return json.loads(body)["token"]


def signed_in_browser(port: int) -> Client:
    browser = Client(port)
    assert browser.get("/accounts/login/") == 200
    form = urlencode({"username": "caseworker_tij", "password": DEMO_PASSWORD,
                      "csrfmiddlewaretoken": browser.cookies["csrftoken"]})
    status, _ = browser.request("POST", "/accounts/login/", body=form,
                                headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 302, "sign-in with a demo user should redirect home"
    assert "sessionid" in browser.cookies
    return browser


def visible_case_id(api: Client) -> int:
    status, body = api.request("GET", "/api/v1/cases/")
    assert status == 200, body
    return json.loads(body)["results"][0]["id"]


def test_the_make_run_stack_serves_thousands_of_requests_on_a_bounded_number_of_connections_and_stops_on_sigterm(
        stack):
    port = stack["port"]
    token = api_token(port)
    api = Client(port, headers={"Authorization": f"Token {token}", "Accept": "application/json"})
    browser = signed_in_browser(port)
    case_id = visible_case_id(api)
    api_paths = ["/api/v1/cases/", f"/api/v1/cases/{case_id}/", "/api/v1/offices/", "/api/v1/programmes/",
                 f"/api/v1/cases/{case_id}/events/"]
    page_paths = ["/", "/cases/", f"/cases/{case_id}/", "/static/css/app.css", "/health/"]
    statuses: Counter = Counter()
    sampler = ConnectionSampler(stack)
    sampler.start()
    started = time.monotonic()

    for number in range(SEQUENTIAL_API_GETS):
        if time.monotonic() - started > LOAD_SECONDS:
            pytest.fail(f"{number} sequential requests took more than {LOAD_SECONDS} s: {statuses}")
        statuses[api.get(api_paths[number % len(api_paths)])] += 1
    after_sequential = connections_to(stack["admin"], stack["database"])

    def one(number: int) -> int:
        if time.monotonic() - started > LOAD_SECONDS:
            return 0  # not sent: counted as a failure below, the test stays bounded in time
        if number % 2:
            return Client(port, headers=api.headers).get(api_paths[number % len(api_paths)])
        return Client(port, cookies=browser.cookies).get(page_paths[number % len(page_paths)])

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        statuses.update(pool.map(one, range(CONCURRENT_REQUESTS)))
    elapsed = time.monotonic() - started
    samples = sampler.stop()
    print(f"{sum(statuses.values())} requests in {elapsed:.0f} s; database connections: peak {max(samples, default=0)}, "
          f"after the sequential part {after_sequential}, bound {CONNECTION_BOUND} ({len(samples)} samples)")

    assert sum(statuses.values()) == SEQUENTIAL_API_GETS + CONCURRENT_REQUESTS
    assert not {code for code in statuses if code >= 500}, statuses
    assert set(statuses) == {200}, statuses
    assert elapsed < LOAD_SECONDS
    assert samples and max(samples) <= CONNECTION_BOUND, samples
    assert after_sequential <= CONNECTION_BOUND, after_sequential

    assert stop(stack["process"]), "SIGTERM should stop the stack within 40 seconds"
    assert stack["process"].returncode == 0, log_tail(stack)
    assert session_members(stack["process"].pid) == [], "every child process should be gone"
    assert connections_settle_to_zero(stack), "the stopped stack should hold no database connection"
