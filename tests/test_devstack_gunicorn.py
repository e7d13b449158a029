"""`make run`'s web server: gunicorn with a fixed pool of sync workers, never runserver."""

import pytest

from avr import devstack


def test_make_run_serves_with_a_fixed_pool_of_gunicorn_sync_workers_and_an_access_log():
    command = devstack.gunicorn_command("127.0.0.1:8123", 4, debug=False)

    assert command[1:4] == ["-m", "gunicorn", "avr.wsgi"]
    assert command[command.index("--bind") + 1] == "127.0.0.1:8123"
    assert command[command.index("--workers") + 1] == "4"
    assert "--worker-class" not in command  # sync: one request, so one database connection, per worker
    assert command[command.index("--access-logfile") + 1] == "-"
    assert command[command.index("--timeout") + 1] == "60"
    assert "--no-control-socket" in command
    assert "--reload" not in command


def test_the_access_log_never_holds_a_query_string():
    from pathlib import Path

    command = devstack.gunicorn_command("127.0.0.1:8123", 1, debug=False)
    config = {}
    exec(Path(command[command.index("--config") + 1]).read_text(), config)

    assert "%(U)s" in config["access_log_format"]
    assert "%(r)s" not in config["access_log_format"] and "%(q)s" not in config["access_log_format"]


def test_in_debug_code_and_template_changes_restart_the_workers():
    command = devstack.gunicorn_command("127.0.0.1:8123", 3, debug=True)
    watched = [command[i + 1] for i, arg in enumerate(command) if arg == "--reload-extra-file"]

    assert "--reload" in command
    assert any(path.endswith("templates/base.html") for path in watched)
    assert not any("/.venv/" in path for path in watched)


def test_the_worker_count_comes_from_web_concurrency_and_defaults_to_three(monkeypatch):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    default = devstack.web_workers()
    monkeypatch.setenv("WEB_CONCURRENCY", "5")

    assert (default, devstack.web_workers()) == (3, 5)


@pytest.mark.parametrize("value, message", [("lots", "WEB_CONCURRENCY must be a whole number, not 'lots'"),
                                            ("0", "WEB_CONCURRENCY must be at least 1")])
def test_a_bad_worker_count_stops_make_run_with_its_name(monkeypatch, value, message):
    monkeypatch.setenv("WEB_CONCURRENCY", value)

    with pytest.raises(SystemExit, match=message):
        devstack.web_workers()
