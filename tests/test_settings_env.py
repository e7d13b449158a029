"""Settings come from the environment only; secrets may come from <NAME>_FILE."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

from avr.env import ImproperEnvironment, database_from_url, env_bool, env_str


def test_a_secret_can_come_from_a_file(tmp_path, monkeypatch):
    secret = tmp_path / "secret"
    secret.write_text("from-the-file\n")
    monkeypatch.setenv("SOME_SECRET", "from-the-variable")
    monkeypatch.setenv("SOME_SECRET_FILE", str(secret))

    assert env_str("SOME_SECRET") == "from-the-file"


def test_a_malformed_boolean_is_refused_with_its_name(monkeypatch):
    monkeypatch.setenv("DJANGO_DEBUG", "maybe")

    with pytest.raises(ImproperEnvironment, match="DJANGO_DEBUG"):
        env_bool("DJANGO_DEBUG")


def test_database_urls_for_servers_and_sockets_are_understood():
    server = database_from_url("postgres://avr:s%40cret@db:5432/avr?sslmode=require")
    socket = database_from_url("postgresql://postgres@/avr?host=/srv/var/pg")

    assert (server["HOST"], server["PORT"], server["PASSWORD"], server["OPTIONS"]) == (
        "db", "5432", "s@cret", {"sslmode": "require"})
    assert (socket["HOST"], socket["NAME"]) == ("/srv/var/pg", "avr")


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env["DJANGO_DEBUG"] = "0"

    result = subprocess.run([sys.executable, "-c", "import avr.settings"], cwd=settings.BASE_DIR, env=env,
                            capture_output=True, text=True)

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_settings_pass_the_deploy_check():
    # The browser tests' conftest allows sync DB calls under Playwright's loop; production never does.
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {**inherited, "DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": "k" * 20 + "Zx9!q_w-e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7",
           "DJANGO_ALLOWED_HOSTS": "avr.example.org", "SITE_URL": "https://avr.example.org"}

    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=settings.BASE_DIR, env=env, capture_output=True, text=True)

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.django_db
def test_the_apps_connections_never_jit_compile_unless_asked():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"

    probe = "import avr.settings as s; print(s.DATABASES['default']['OPTIONS'].get('options', ''))"
    env = {**os.environ, "DATABASE_URL": "postgres://u@db:5432/avr?options=-c%20statement_timeout%3D5000"}
    kept = subprocess.run([sys.executable, "-c", probe], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True)
    assert kept.stdout.strip() == "-c statement_timeout=5000 -c jit=off"  # the URL's own options kept
    asked = subprocess.run([sys.executable, "-c", probe], cwd=settings.BASE_DIR, env={**env, "DATABASE_JIT": "1"},
                           capture_output=True, text=True)
    assert asked.stdout.strip() == "-c statement_timeout=5000"
