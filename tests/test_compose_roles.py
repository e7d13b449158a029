"""The compose stack migrates as the owner of the tables and runs the app as a role that owns none."""

import re

import yaml
from django.conf import settings

APP_SERVICES = ("web", "worker", "worker-bulk", "beat")


def compose() -> dict:
    return yaml.safe_load((settings.BASE_DIR / "docker-compose.yml").read_text())


def init_script() -> str:
    return (settings.BASE_DIR / "postgres-init" / "10-roles.sql").read_text()


def test_only_the_one_shot_migrate_service_connects_as_the_owner():
    services = compose()["services"]
    migrate = services["migrate"]

    assert migrate["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert migrate["restart"] == "no"
    assert migrate["environment"]["DATABASE_OWNER_URL_FILE"] == "/run/secrets/database_owner_url"
    assert "database_owner_url" in migrate["secrets"]
    for name in APP_SERVICES:
        service = services[name]
        assert "DATABASE_OWNER_URL_FILE" not in service.get("environment", {}), name
        assert "database_owner_url" not in service.get("secrets", []), name
        assert "migrate" not in " ".join(service["command"]), name
        assert service["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}, name


def test_the_postgres_init_script_creates_the_owner_and_the_app_role_migrate_grants():
    services = compose()["services"]
    app_role = services["migrate"]["environment"]["DATABASE_APP_ROLE"]
    script = init_script()

    assert "./postgres-init:/docker-entrypoint-initdb.d:ro" in services["postgres"]["volumes"]
    assert re.search(rf"CREATE ROLE {app_role} LOGIN NOSUPERUSER", script)
    assert re.search(r"CREATE ROLE avr_owner LOGIN NOSUPERUSER", script)
    assert "CREATE DATABASE avr OWNER avr_owner;" in script
    assert {"database_owner_password", "database_app_password"} <= set(services["postgres"]["secrets"])
