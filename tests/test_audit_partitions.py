"""The audit log partitioned by month: inserts find their month, DEFAULT catches the rest, old months are detached
into archive tables (never deleted), and every partition and archive stays append-only."""

import uuid
from datetime import UTC, date, datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import translation

from audit.models import AuditAction, AuditEvent
from audit.partitions import (
    PartitionRefused,
    audit_partitions_detach,
    audit_partitions_ensure,
    audit_partitions_list,
    current_month,
    month_add,
    partition_name,
    partitions_make,
)
from audit.roles import app_role_grant

pytestmark = pytest.mark.django_db


def line_at(at: datetime, object_type: str = "test", object_id: str = "1") -> tuple[int, str]:
    """Append a line dated `at` (the model's `at` is set on insert, so through SQL); its id and where it landed."""
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO audit_auditevent (at, actor_username, action, object_type, object_id, object_ids, "
                       "reason, path) VALUES (%s, 'tester', 'view', %s, %s, '{}', '', '') "
                       "RETURNING id, tableoid::regclass::text", [at, object_type, object_id])
        return cursor.fetchone()


def table_of(line_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM audit_auditevent WHERE id = %s", [line_id])
        return cursor.fetchone()[0]


def refused(sql: str) -> str:
    with pytest.raises(DatabaseError) as refusal, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    return str(refusal.value)


def rows_in(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{table}"')
        return cursor.fetchone()[0]


def start_of(month: date) -> datetime:
    return datetime(month.year, month.month, 1, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


@pytest.fixture
def three_years_ago():
    return month_add(current_month(), -36)


@pytest.mark.smoke
def test_an_audit_line_lands_in_the_partition_of_its_month():
    this_month, in_two_months = current_month(), month_add(current_month(), 2)

    event = AuditEvent.objects.create(actor_username="x", action=AuditAction.VIEW)
    later_id, later_table = line_at(start_of(in_two_months))

    assert table_of(event.pk) == partition_name(this_month)
    assert later_table == partition_name(in_two_months)
    assert AuditEvent.objects.get(pk=later_id).at == start_of(in_two_months)


def test_a_line_of_a_month_without_partition_waits_in_default_and_moves_when_the_month_is_made():
    far = date(2099, 5, 1)
    line_id, landed = line_at(start_of(far), object_id="far")
    lines_before = AuditEvent.objects.count()

    made = audit_partitions_ensure(today=far, months_ahead=0)

    assert landed == "audit_auditevent_default"
    assert made == ["audit_auditevent_y2099m05"]
    assert table_of(line_id) == "audit_auditevent_y2099m05"
    assert rows_in("audit_auditevent_default") == 0
    assert AuditEvent.objects.count() == lines_before
    assert AuditEvent.objects.get(pk=line_id).object_id == "far"
    # DEFAULT went out and came back: it is attached and append-only again.
    assert next(p for p in audit_partitions_list() if p.name == "audit_auditevent_default").attached
    other_id, other = line_at(start_of(date(2099, 9, 1)))
    assert other == "audit_auditevent_default"
    assert "append-only" in refused(f"UPDATE audit_auditevent_default SET reason = 'x' WHERE id = {other_id}")


def test_making_the_partitions_again_makes_nothing():
    first = audit_partitions_ensure(months_ahead=6)
    names = [p.name for p in audit_partitions_list()]

    again = audit_partitions_ensure(months_ahead=6)

    assert partition_name(month_add(current_month(), 6)) in first
    assert again == []
    assert [p.name for p in audit_partitions_list()] == names


def test_beat_makes_the_coming_months_every_day(settings):
    from audit.tasks import audit_partitions_ensure_task

    settings.AUDIT_PARTITIONS_AHEAD = 5
    audit_partitions_ensure_task.delay()

    schedule = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "audit.tasks.audit_partitions_ensure_task" in schedule
    names = {p.name for p in audit_partitions_list()}
    assert {partition_name(month_add(current_month(), n)) for n in range(6)} <= names


def test_update_delete_and_truncate_are_refused_on_the_log_and_on_each_partition():
    event = AuditEvent.objects.create(actor_username="x", action=AuditAction.VIEW, reason="before")
    partition = partition_name(current_month())

    refusals = [refused(f"UPDATE audit_auditevent SET reason = 'after' WHERE id = {event.pk}"),
                refused(f"DELETE FROM audit_auditevent WHERE id = {event.pk}"),
                refused(f"UPDATE {partition} SET reason = 'after' WHERE id = {event.pk}"),
                refused(f"DELETE FROM {partition} WHERE id = {event.pk}"),
                refused(f"TRUNCATE {partition}"),
                refused("TRUNCATE audit_auditevent_default")]

    assert all("the audit log is append-only" in message for message in refusals)
    assert AuditEvent.objects.get(pk=event.pk).reason == "before"


@pytest.mark.parametrize("months_from_now", [0, 1, 3])
def test_the_current_and_future_months_are_never_detached(settings, months_from_now):
    settings.AUDIT_RETENTION_MONTHS = 1
    event = AuditEvent.objects.create(actor_username="x", action=AuditAction.VIEW)

    with pytest.raises(PartitionRefused, match="never detached"):
        audit_partitions_detach(before=month_add(current_month(), months_from_now + 1))

    assert AuditEvent.objects.filter(pk=event.pk).exists()
    assert all(p.attached for p in audit_partitions_list())


def test_a_month_within_the_retention_period_is_not_detached(settings):
    settings.AUDIT_RETENTION_MONTHS = 12
    recent = month_add(current_month(), -6)
    partitions_make(connection, [recent])
    line_id, _ = line_at(start_of(recent))

    with pytest.raises(PartitionRefused, match="retention period of 12 months"):
        audit_partitions_detach(before=month_add(recent, 1))

    assert table_of(line_id) == partition_name(recent)
    assert not AuditEvent.objects.filter(action=AuditAction.DETACH).exists()


def test_an_old_month_is_detached_to_an_archive_that_keeps_its_rows_append_only(settings, admin_user, three_years_ago):
    settings.AUDIT_RETENTION_MONTHS = 24
    kept = month_add(current_month(), -12)
    partitions_make(connection, [three_years_ago, kept])
    old_ids = [line_at(start_of(three_years_ago), object_id=str(n))[0] for n in range(3)]
    # A month that never had a partition: its rows waited in DEFAULT, and go too.
    older_id, landed = line_at(start_of(month_add(three_years_ago, -1)))
    kept_id, _ = line_at(start_of(kept))

    archives = audit_partitions_detach(before=month_add(three_years_ago, 1), actor=admin_user)

    older, old = (f"audit_archive_y{m:%Y}m{m:%m}" for m in (month_add(three_years_ago, -1), three_years_ago))
    assert landed == "audit_auditevent_default"
    assert archives == [older, old]
    assert not AuditEvent.objects.filter(pk__in=[*old_ids, older_id]).exists()
    assert AuditEvent.objects.filter(pk=kept_id).exists()
    assert rows_in(old) == 3 and rows_in(older) == 1
    for sql in (f"UPDATE {old} SET reason = 'x'", f"DELETE FROM {old}", f"TRUNCATE {old}"):
        assert "the audit log is append-only" in refused(sql)
    assert rows_in(old) == 3
    detached = AuditEvent.objects.get(action=AuditAction.DETACH)
    assert detached.actor == admin_user
    assert detached.changes["months"] == [f"{m:%Y-%m}" for m in (month_add(three_years_ago, -1), three_years_ago)]
    assert detached.changes["archives"] == archives
    assert [p.attached for p in audit_partitions_list() if p.name in archives] == [False, False]


def test_the_command_lists_makes_and_detaches_and_refuses_a_recent_month(settings, admin_user, three_years_ago,
                                                                        capsys):
    settings.AUDIT_RETENTION_MONTHS = 24
    partitions_make(connection, [three_years_ago])
    line_at(start_of(three_years_ago))

    call_command("audit_partitions", "--ensure", "--months", "4")
    with pytest.raises(CommandError, match="retention period"):
        call_command("audit_partitions", "--detach-before", f"{current_month():%Y-%m}")
    call_command("audit_partitions", "--detach-before", f"{month_add(three_years_ago, 1):%Y-%m}",
                 "--actor", admin_user.username)
    call_command("audit_partitions", "--list")

    out = capsys.readouterr().out
    assert partition_name(month_add(current_month(), 4)) in out
    assert f"audit_archive_y{three_years_ago:%Y}m{three_years_ago:%m}\t~" in out
    assert AuditEvent.objects.get(action=AuditAction.DETACH).actor_username == admin_user.username
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("audit_partitions", "--detach-before", "2019")


def test_a_query_by_object_reads_an_index_of_the_partition():
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO audit_auditevent (at, actor_username, action, object_type, object_id, object_ids, "
                       "reason, path) SELECT now(), 'bulk', 'update', 'cases_case', (g % 5000)::text, '{}', '', '' "
                       "FROM generate_series(1, 20000) AS g")
        cursor.execute("ANALYZE audit_auditevent")

    plan = AuditEvent.objects.filter(object_type="cases_case", object_id="42").explain()

    assert "Index" in plan
    assert f"{partition_name(current_month())}_object_type_object_id_at_idx" in plan


def test_the_migration_keeps_every_line_going_back_and_forth():
    AuditEvent.objects.create(actor_username="x", action=AuditAction.VIEW)
    line_at(start_of(date(2099, 5, 1)))  # in DEFAULT
    ids = sorted(AuditEvent.objects.values_list("pk", flat=True))
    executor = MigrationExecutor(connection)

    executor.migrate([("audit", "0010_mfa_actions")])
    ids_unpartitioned = sorted(AuditEvent.objects.values_list("pk", flat=True))
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = 'audit_auditevent'::regclass")
        kind_unpartitioned = cursor.fetchone()[0]
    executor.loader.build_graph()
    executor.migrate([("audit", "0011_partitioned_by_month")])
    after = AuditEvent.objects.create(actor_username="y", action=AuditAction.VIEW)

    assert kind_unpartitioned == "r"
    assert ids_unpartitioned == ids
    assert sorted(AuditEvent.objects.exclude(pk=after.pk).values_list("pk", flat=True)) == ids
    assert after.pk > ids[-1]  # the sequence went on where it stood
    assert table_of(ids[-1]) == "audit_auditevent_y2099m05"  # its month got a partition
    assert "append-only" in refused(f"DELETE FROM audit_auditevent WHERE id = {after.pk}")


def test_the_app_role_makes_partitions_but_may_neither_detach_nor_touch_one():
    role = f"avr_app_test_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{role}" NOLOGIN')
    app_role_grant(connection, role)
    partition = partition_name(current_month())
    event = AuditEvent.objects.create(actor_username="x", action=AuditAction.VIEW)

    with connection.cursor() as cursor:
        cursor.execute(f'SET ROLE "{role}"')
    try:
        made = audit_partitions_ensure(months_ahead=7)
        detach = refused(f"ALTER TABLE audit_auditevent DETACH PARTITION {partition}")
        update = refused(f"UPDATE {partition} SET reason = 'x' WHERE id = {event.pk}")
        fresh = refused(f"SELECT count(*) FROM {made[-1]}")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")

    assert made[-1] == partition_name(month_add(current_month(), 7))
    assert "must be owner" in detach
    assert f"permission denied for table {partition}" in update
    assert f"permission denied for table {made[-1]}" in fresh  # made by the owner's function, for the owner only
