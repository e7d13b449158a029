"""The audit log's monthly partitions: made ahead of time, and detached (never emptied) once past retention.

`audit_auditevent` is partitioned by RANGE (at) since audit migration 0011: one partition per calendar month in UTC
(`audit_auditevent_y2026m12`), and a DEFAULT partition so that an insert never fails. Months are made ahead by beat
(`audit_partitions_ensure_task`), by the migration and by `manage.py audit_partitions --ensure`; a month past
AUDIT_RETENTION_MONTHS may be detached by the owner of the tables (`--detach-before YYYY-MM`): its table is renamed
`audit_archive_y2019m11`, keeps its rows and refuses UPDATE, DELETE and TRUNCATE, for a DBA to dump and drop.
"""

import getpass
from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

PARENT = "audit_auditevent"
DEFAULT_PARTITION = "audit_auditevent_default"
PARTITION_PREFIX = "audit_auditevent_"
ARCHIVE_PREFIX = "audit_archive_"
ENSURE_FUNCTION = "avr_audit_partition_ensure(date)"

# Both run as the owner of the tables: the guard from the ensure function or the owner's detach, the ensure function
# as its definer, so beat, running as the app role that owns nothing, can still make next month's partition.
PARTITION_FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION avr_audit_partition_guard(part regclass, detached boolean DEFAULT false) RETURNS void
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    grantee text;
BEGIN
    -- A TRUNCATE of one partition fires that partition's statement triggers only, never the parent's.
    EXECUTE format('CREATE OR REPLACE TRIGGER avr_audit_no_truncate BEFORE TRUNCATE ON %s '
                   'FOR EACH STATEMENT EXECUTE FUNCTION avr_audit_append_only()', part);
    -- Row triggers are the parent's while attached (cloned into each partition); detaching drops the clones.
    IF detached THEN
        EXECUTE format('CREATE OR REPLACE TRIGGER avr_audit_append_only BEFORE UPDATE OR DELETE ON %s '
                       'FOR EACH ROW EXECUTE FUNCTION avr_audit_append_only()', part);
    END IF;
    -- Reached through audit_auditevent only: nobody but the owner holds a privilege on a partition or an archive.
    FOR grantee IN SELECT DISTINCT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END
                     FROM pg_class AS c CROSS JOIN LATERAL aclexplode(c.relacl) AS a
                     LEFT JOIN pg_roles AS r ON r.oid = a.grantee
                    WHERE c.oid = part AND a.grantee <> c.relowner LOOP
        EXECUTE format('REVOKE ALL ON %s FROM %s', part, grantee);
    END LOOP;
END;
$$;

CREATE OR REPLACE FUNCTION avr_audit_partition_ensure(month date) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    first date := date_trunc('month', month)::date;
    part text := 'audit_auditevent_' || to_char(first, '"y"YYYY"m"MM');
    low timestamptz := (to_char(first, 'YYYY-MM-DD') || ' 00:00:00+00')::timestamptz;
    high timestamptz := (to_char(first + interval '1 month', 'YYYY-MM-DD') || ' 00:00:00+00')::timestamptz;
    bounds text := format('FOR VALUES FROM (%L) TO (%L)', to_char(first, 'YYYY-MM-DD') || ' 00:00:00+00',
                          to_char(first + interval '1 month', 'YYYY-MM-DD') || ' 00:00:00+00');
    columns text;
BEGIN
    IF to_regclass(part) IS NOT NULL THEN RETURN false; END IF;
    PERFORM pg_advisory_xact_lock(hashtext('avr_audit_partition_ensure'));
    IF to_regclass(part) IS NOT NULL THEN RETURN false; END IF;
    IF NOT EXISTS (SELECT 1 FROM audit_auditevent_default WHERE at >= low AND at < high) THEN
        EXECUTE format('CREATE TABLE %I PARTITION OF audit_auditevent %s', part, bounds);
    ELSE
        -- PostgreSQL refuses a partition whose range has rows in DEFAULT: take DEFAULT out, move the month's rows
        -- into the new partition, put DEFAULT back; one transaction, the parent locked throughout.
        SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO columns
          FROM pg_attribute WHERE attrelid = 'audit_auditevent'::regclass AND attnum > 0 AND NOT attisdropped;
        ALTER TABLE audit_auditevent DETACH PARTITION audit_auditevent_default;
        EXECUTE format('CREATE TABLE %I PARTITION OF audit_auditevent %s', part, bounds);
        EXECUTE format('INSERT INTO %I (%s) SELECT %s FROM audit_auditevent_default WHERE at >= $1 AND at < $2',
                       part, columns, columns) USING low, high;
        -- Detached, DEFAULT has no row trigger: the copies are in the new partition, the originals may go.
        DELETE FROM audit_auditevent_default WHERE at >= low AND at < high;
        ALTER TABLE audit_auditevent ATTACH PARTITION audit_auditevent_default DEFAULT;
    END IF;
    PERFORM avr_audit_partition_guard(part::regclass);
    RETURN true;
END;
$$;
REVOKE EXECUTE ON FUNCTION avr_audit_partition_ensure(date) FROM PUBLIC;
"""

DROP_PARTITION_FUNCTIONS = """
DROP FUNCTION IF EXISTS avr_audit_partition_ensure(date);
DROP FUNCTION IF EXISTS avr_audit_partition_guard(regclass, boolean);
"""


class PartitionRefused(Exception):
    """A detach that would take the current month, a future one, or one not yet past retention."""


@dataclass(frozen=True)
class Partition:
    name: str
    month: date | None  # None: the DEFAULT partition
    attached: bool
    rows_estimate: int


def month_of(day: date) -> date:
    return day.replace(day=1)


def month_add(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def partition_name(month: date) -> str:
    return f"{PARTITION_PREFIX}y{month:%Y}m{month:%m}"


def archive_name(month: date) -> str:
    return f"{ARCHIVE_PREFIX}y{month:%Y}m{month:%m}"


def month_from_name(name: str) -> date | None:
    """The month a partition or an archive holds, from its name (`..._y2026m12`); None for DEFAULT."""
    tail = name.rsplit("_", 1)[-1]
    if len(tail) != 8 or tail[0] != "y" or tail[5] != "m" or not (tail[1:5] + tail[6:]).isdigit():
        return None
    return date(int(tail[1:5]), int(tail[6:]), 1)


def current_month(today: date | None = None) -> date:
    """This month in UTC, the time zone of the partition bounds."""
    return month_of(today or timezone.now().date())


def retention_cutoff(today: date | None = None) -> date:
    """The first month still kept: every month before it is past AUDIT_RETENTION_MONTHS."""
    return month_add(current_month(today), -max(settings.AUDIT_RETENTION_MONTHS, 1))


def partitions_make(connection, months) -> list[str]:
    """Make the partitions of `months` (first days) that are missing; the names of those made."""
    made = []
    with connection.cursor() as cursor:
        for month in months:
            cursor.execute("SELECT avr_audit_partition_ensure(%s)", [month])
            if cursor.fetchone()[0]:
                made.append(partition_name(month))
    return made


def audit_partitions_ensure(*, months_ahead: int | None = None, today: date | None = None,
                            connection=None) -> list[str]:
    """Make this month's partition and the next `months_ahead` months' (AUDIT_PARTITIONS_AHEAD); idempotent."""
    ahead = settings.AUDIT_PARTITIONS_AHEAD if months_ahead is None else months_ahead
    first = current_month(today)
    return partitions_make(connection or connections[DEFAULT_DB_ALIAS],
                           [month_add(first, n) for n in range(ahead + 1)])


def audit_partitions_list(connection=None) -> list[Partition]:
    """Every partition of the log and every detached archive, oldest first, DEFAULT last."""
    connection = connection or connections[DEFAULT_DB_ALIAS]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, i.inhrelid IS NOT NULL, greatest(c.reltuples, 0)::bigint FROM pg_class AS c "
            "LEFT JOIN pg_inherits AS i ON i.inhrelid = c.oid AND i.inhparent = to_regclass(%s) "
            "WHERE c.relkind = 'r' AND c.relnamespace = current_schema()::regnamespace "
            "AND (i.inhrelid IS NOT NULL OR c.relname LIKE %s)",
            [PARENT, ARCHIVE_PREFIX.replace("_", r"\_") + "%"])
        found = [Partition(name, month_from_name(name), attached, estimate)
                 for name, attached, estimate in cursor.fetchall()]
    return sorted(found, key=lambda p: (p.month is None, p.month or date.min, p.attached))


def audit_partitions_detach(*, before: date, actor=None, by: str = "manage.py audit_partitions",
                            today: date | None = None) -> list[str]:
    """Detach every month before `before` into an archive table; refused unless all are past retention.

    No row is deleted: each month's table leaves the log (and the admin's list) under an archive name, keeps its
    rows and still refuses UPDATE, DELETE and TRUNCATE; an audit line says which months, by whom and from where.
    """
    before = month_of(before)
    if before > current_month(today):
        raise PartitionRefused(_("The current month and future months are never detached."))
    if before > retention_cutoff(today):
        months = settings.AUDIT_RETENTION_MONTHS
        raise PartitionRefused(
            ngettext("Only months before %(month)s are past the audit retention period of %(count)d month.",
                     "Only months before %(month)s are past the audit retention period of %(count)d months.", months)
            % {"month": f"{retention_cutoff(today):%Y-%m}", "count": months})
    connection = connections[DEFAULT_DB_ALIAS]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('avr_audit_partition_ensure'))")
        partitions_make(connection, months_in_default(connection, before))
        months = [p.month for p in audit_partitions_list(connection) if p.attached and p.month and p.month < before]
        archives = [partition_archive(connection, month) for month in months]
        if months:
            detach_record(connection, months=months, archives=archives, actor=actor, by=by)
    return archives


def months_in_default(connection, before: date) -> list[date]:
    """Months before `before` whose rows wait in DEFAULT (no partition was made for them)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT date_trunc('month', at AT TIME ZONE 'UTC')::date FROM {DEFAULT_PARTITION} "
                       "WHERE at < %s ORDER BY 1", [datetime(before.year, before.month, 1, tzinfo=UTC)])
        return [month for (month,) in cursor.fetchall()]


def partition_archive(connection, month: date) -> str:
    """Detach one month's partition and rename it to its archive name; its rows stay, append-only."""
    name, archive = partition_name(month), archive_name(month)
    with connection.cursor() as cursor:
        # Plain DETACH: CONCURRENTLY may not run in a transaction, and this one must be all or nothing.
        cursor.execute(f'ALTER TABLE {PARENT} DETACH PARTITION "{name}"')
        cursor.execute(f'ALTER TABLE "{name}" RENAME TO "{archive}"')
        cursor.execute("SELECT avr_audit_partition_guard(%s::regclass, true)", [archive])
    return archive


def detach_record(connection, *, months: list[date], archives: list[str], actor, by: str) -> None:
    from audit.models import AuditAction
    from audit.services import audit_record

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        (role,) = cursor.fetchone()
    labels = [f"{month:%Y-%m}" for month in months]
    audit_record(actor=actor, action=AuditAction.DETACH, object_type="audit.auditevent", reason=", ".join(labels),
                 changes={"months": labels, "archives": archives, "by": by, "database_role": role,
                          "os_user": os_user(), "retention_months": settings.AUDIT_RETENTION_MONTHS})


def os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a container's uid with no passwd entry
        return ""
