"""The app runs as a role that owns no table: the audit log is append-only for it, and cannot be emptied by anyone.

The role tests create a role inside the test's transaction (rolled back with it) and SET ROLE to it; the last test
migrates a fresh database as an owner role and loads the demo data as an app role, as the compose file does.
"""

import os
import subprocess
import sys
import uuid
from contextlib import contextmanager
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from accounts.models import Office
from audit.models import AuditAction, AuditEvent, CaseKey
from audit.roles import app_role_grant
from audit.services import audit_record, case_audit_key_destroy
from avr.env import database_from_url
from cases.models import Case
from tests.factories import OfficeFactory, household


@pytest.fixture
def app_role(db):
    name = f"avr_app_test_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{name}" NOLOGIN')
    app_role_grant(connection, name)
    return name


@pytest.fixture
def audit_line(db):
    return audit_record(actor=None, action=AuditAction.EXPORT, object_type="test", object_id="1", reason="before")


@contextmanager
def acting_as(role: str):
    with connection.cursor() as cursor:
        cursor.execute(f'SET ROLE "{role}"')
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")


def refused(sql: str) -> str:
    """The database's message refusing `sql`, in a savepoint so the test's transaction goes on."""
    with pytest.raises(DatabaseError) as refusal, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    return str(refusal.value)


def trigger_enabled(table: str, trigger: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgenabled FROM pg_trigger WHERE tgrelid = %s::regclass AND tgname = %s", [table, trigger])
        return cursor.fetchone() == ("O",)


def test_the_app_role_is_refused_truncate_of_the_audit_log(app_role, audit_line):
    with acting_as(app_role):
        message = refused("TRUNCATE audit_auditevent")

    assert "permission denied for table audit_auditevent" in message
    assert AuditEvent.objects.filter(pk=audit_line.pk).exists()


def test_the_app_role_cannot_lift_the_audit_triggers_because_it_owns_no_table(app_role, audit_line):
    with acting_as(app_role):
        lift_append_only = refused("ALTER TABLE audit_auditevent DISABLE TRIGGER avr_audit_append_only")
        lift_no_truncate = refused("ALTER TABLE audit_casekey DISABLE TRIGGER avr_audit_no_truncate")
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_tables WHERE tableowner = current_user")
            owned = cursor.fetchone()[0]

    assert "must be owner of table audit_auditevent" in lift_append_only
    assert "must be owner of table audit_casekey" in lift_no_truncate
    assert owned == 0
    assert trigger_enabled("audit_auditevent", "avr_audit_append_only")
    assert trigger_enabled("audit_casekey", "avr_audit_no_truncate")


def test_the_app_role_may_neither_update_nor_delete_an_audit_line(app_role, audit_line):
    with acting_as(app_role):
        update = refused(f"UPDATE audit_auditevent SET reason = 'after' WHERE id = {audit_line.pk}")
        delete = refused(f"DELETE FROM audit_auditevent WHERE id = {audit_line.pk}")

    assert "permission denied for table audit_auditevent" in update
    assert "permission denied for table audit_auditevent" in delete
    assert AuditEvent.objects.get(pk=audit_line.pk).reason == "before"


def test_the_app_role_appends_to_the_audit_log_and_writes_the_app_tables(app_role, caseworker, tij, caravan):
    lines_before = AuditEvent.objects.count()

    with acting_as(app_role):
        audit_record(actor=caseworker, action=AuditAction.EXPORT, object_type="test", object_id="2")
        case = household(actor=caseworker, programme=caravan, office=tij)
        office = OfficeFactory(code="TST", name="Test booth", country="MX")
        Office.objects.filter(pk=office.pk).update(name="Renamed booth")
        Office.objects.filter(pk=office.pk).delete()
        case_audit_key_destroy(case_id=case.pk, actor=caseworker)

    assert Case.objects.filter(pk=case.pk).exists()
    assert not Office.objects.filter(code="TST").exists()
    assert CaseKey.objects.get(case_id=case.pk).key is None
    # Its own line, the case's rows through the triggers, the office's insert, update and delete, the shredding.
    assert AuditEvent.objects.count() >= lines_before + 6
    assert AuditEvent.objects.filter(object_type="test", object_id="2").exists()


def test_the_owner_too_is_refused_truncate_of_the_audit_log_and_the_case_keys(audit_line, caseworker, tij, caravan):
    case = household(actor=caseworker, programme=caravan, office=tij)

    log = refused("TRUNCATE audit_auditevent")
    keys = refused("TRUNCATE audit_casekey")

    assert "the audit log is append-only: TRUNCATE refused" in log
    assert "the audit log is append-only: TRUNCATE refused" in keys
    assert AuditEvent.objects.filter(pk=audit_line.pk).exists()
    assert CaseKey.objects.filter(case_id=case.pk).exists()


def test_a_case_key_may_still_be_deleted_row_by_row(caseworker, tij, caravan):
    case = household(actor=caseworker, programme=caravan, office=tij)

    CaseKey.objects.filter(case_id=case.pk).delete()

    assert not CaseKey.objects.filter(case_id=case.pk).exists()


def test_granting_a_role_the_server_does_not_have_is_refused_with_its_name(db):
    with pytest.raises(ImproperlyConfigured, match="avr_no_such_role.*create it first"):
        app_role_grant(connection, "avr_no_such_role")


def test_granting_the_owner_itself_as_the_app_role_is_refused(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        owner = cursor.fetchone()[0]

    with pytest.raises(ImproperlyConfigured, match="must be another role"):
        app_role_grant(connection, owner)


def test_migrate_refuses_an_owner_url_that_names_another_database(settings):
    settings.DATABASE_OWNER_URL = "postgres://avr_owner@127.0.0.1:5432/some_other_database"

    with pytest.raises(CommandError, match="DATABASE_OWNER_URL must name the same database as DATABASE_URL"):
        call_command("migrate", "--noinput", verbosity=0)


# ---------------------------------------------------------------------------------------------------------------
# End to end: migrate as the owner, run as the app role.

def server_connection(dbname: str = "postgres", user: str | None = None) -> psycopg.Connection:
    params = database_from_url(settings.DATABASE_URL)
    return psycopg.connect(host=params["HOST"] or None, port=params["PORT"] or None,
                           user=user or params["USER"] or None, password=params["PASSWORD"] or None,
                           dbname=dbname, autocommit=True)


def url_for(user: str, dbname: str) -> str:
    parts = urlsplit(settings.DATABASE_URL)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, f"{quote(user)}@{host}", f"/{dbname}", parts.query, ""))


@pytest.fixture
def two_roles_database():
    """A fresh database owned by a new owner role, and a new app role; all dropped afterwards."""
    suffix = uuid.uuid4().hex[:8]
    owner, app, dbname = f"avr_owner_{suffix}", f"avr_app_{suffix}", f"avr_roles_{suffix}"
    admin = server_connection()
    admin.execute(f'CREATE ROLE "{owner}" LOGIN')
    admin.execute(f'CREATE ROLE "{app}" LOGIN')
    admin.execute(f'CREATE DATABASE "{dbname}" OWNER "{owner}"')
    try:
        yield owner, app, dbname
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        admin.execute(f'DROP ROLE IF EXISTS "{app}"')
        admin.execute(f'DROP ROLE IF EXISTS "{owner}"')
        admin.close()


def manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    inherited = {k: v for k, v in os.environ.items()
                 if k not in ("DATABASE_URL_FILE", "DATABASE_OWNER_URL", "DATABASE_APP_ROLE", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env={**inherited, **env},
                          capture_output=True, text=True, timeout=600)


@pytest.mark.stack
def test_migrate_runs_as_the_owner_and_the_app_runs_as_a_role_that_owns_no_table(two_roles_database):
    owner, app, dbname = two_roles_database
    roles = {"DATABASE_URL": url_for(app, dbname), "DATABASE_OWNER_URL": url_for(owner, dbname),
             "DATABASE_APP_ROLE": app, "DJANGO_DEBUG": "1"}

    migrated = manage("migrate", "--noinput", env=roles)
    seeded = manage("seed_demo", env={"DATABASE_URL": url_for(app, dbname), "DJANGO_DEBUG": "1"})

    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    assert f"Migrating as the owner role '{owner}'" in migrated.stdout
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr
    with server_connection(dbname, user=app) as as_app:
        owned = as_app.execute("SELECT count(*) FROM pg_tables WHERE tableowner = %s", [app]).fetchone()[0]
        by_owner = as_app.execute("SELECT count(*) FROM pg_tables WHERE tableowner = %s", [owner]).fetchone()[0]
        lines = as_app.execute("SELECT count(*) FROM audit_auditevent").fetchone()[0]
        refusals = []
        for sql in ("TRUNCATE audit_auditevent", "DELETE FROM audit_auditevent",
                    "ALTER TABLE audit_auditevent DISABLE TRIGGER avr_audit_append_only"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege) as refusal:
                as_app.execute(sql)
            refusals.append(str(refusal.value))
        lines_after = as_app.execute("SELECT count(*) FROM audit_auditevent").fetchone()[0]

    assert owned == 0
    assert by_owner > 30
    assert lines > 0 and lines_after == lines
    assert refusals[0].startswith("permission denied for table audit_auditevent")
    assert refusals[1].startswith("permission denied for table audit_auditevent")
    assert refusals[2].startswith("must be owner of table audit_auditevent")
