"""The audit log partitioned by RANGE (at), one partition a month, and a DEFAULT partition so an insert never fails.

PostgreSQL cannot turn a table into a partitioned one, so the table is rebuilt in this one transaction: the old one is
renamed, a partitioned one made LIKE it (same columns and identity), the months that hold rows and the coming ones
get their partitions, every row is moved in one INSERT ... SELECT, the old table is dropped, and the identity sequence
(recreated with the new table) is renamed back to audit_auditevent_id_seq and set where the old one stood, so no id
is ever given twice. The indexes are made again from the old table's own definitions, on the parent, which makes
them on every partition (and on every partition made later); the append-only triggers too: row triggers on a
partitioned table are cloned into each partition (PostgreSQL 13 and later; 15 on the servers, 16 in `make run`),
while TRUNCATE triggers are not, so each partition gets its own (avr_audit_partition_guard).

The primary key. A partitioned table's primary key must include the partition key: in the database it is
PRIMARY KEY (id, at). Django keeps `id` as the model's primary key (no CompositePrimaryKey): `pk`, `get(pk=...)`, the
admin's URLs, `audit_values --entry` and the lines naming other lines by id keep working. The trade-off: the database
enforces (id, at) unique, not id alone. Ids come from the one identity sequence and no row is ever updated, so they
stay unique in practice; a row inserted with an explicit id could repeat one (nothing in the app does). A later
migration that alters `id` would have to know this, and no foreign key may point at this table (none does: a
foreign key needs a unique constraint on its target column alone).

Reversible: going back copies every row still attached (DEFAULT included) into a plain table again; archives that
were detached stay where they are, as tables of their own.
"""

from django.db import migrations, models

from audit.partitions import (
    DROP_PARTITION_FUNCTIONS,
    PARTITION_FUNCTIONS,
    audit_partitions_ensure,
    partitions_make,
)
from audit.roles import app_role_grant

APPEND_ONLY_TRIGGERS = """
CREATE TRIGGER avr_audit_append_only BEFORE UPDATE OR DELETE ON audit_auditevent
FOR EACH ROW EXECUTE FUNCTION avr_audit_append_only();
CREATE TRIGGER avr_audit_no_truncate BEFORE TRUNCATE ON audit_auditevent
FOR EACH STATEMENT EXECUTE FUNCTION avr_audit_append_only();
"""


def table_kind(cursor) -> str:
    cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass('audit_auditevent')")
    return cursor.fetchone()[0]


def rebuild(cursor, *, partitioned: bool) -> tuple[list[str], tuple[int, bool]]:
    """Replace audit_auditevent by a table LIKE it, partitioned or not, keeping its indexes and sequence position."""
    cursor.execute("LOCK TABLE audit_auditevent IN ACCESS EXCLUSIVE MODE")
    cursor.execute("SELECT replace(indexdef, ' ON ONLY ', ' ON ') FROM pg_indexes WHERE schemaname = current_schema() "
                   "AND tablename = 'audit_auditevent' AND indexname <> 'audit_auditevent_pkey' ORDER BY indexname")
    indexes = [definition for (definition,) in cursor.fetchall()]
    cursor.execute("SELECT pg_get_serial_sequence('audit_auditevent', 'id')")
    (sequence,) = cursor.fetchone()
    cursor.execute(f"SELECT last_value, is_called FROM {sequence}")
    last_value, is_called = cursor.fetchone()
    cursor.execute("ALTER TABLE audit_auditevent RENAME TO audit_auditevent_old")
    cursor.execute("CREATE TABLE audit_auditevent (LIKE audit_auditevent_old INCLUDING DEFAULTS INCLUDING IDENTITY "
                   "INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS)"
                   + (" PARTITION BY RANGE (at)" if partitioned else ""))
    return indexes, (last_value, is_called)


def finish(cursor, indexes: list[str], position, *, key: str) -> None:
    """Drop the old table, put the sequence, the key, the indexes and the append-only triggers back."""
    cursor.execute("DROP TABLE audit_auditevent_old")
    cursor.execute("SELECT pg_get_serial_sequence('audit_auditevent', 'id')")
    (sequence,) = cursor.fetchone()
    cursor.execute(f"ALTER SEQUENCE {sequence} RENAME TO audit_auditevent_id_seq")
    cursor.execute("SELECT setval('audit_auditevent_id_seq', %s, %s)", list(position))
    cursor.execute(f"ALTER TABLE audit_auditevent ADD CONSTRAINT audit_auditevent_pkey PRIMARY KEY ({key})")
    for definition in indexes:
        cursor.execute(definition)
    cursor.execute(APPEND_ONLY_TRIGGERS)


def partition(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if table_kind(cursor) == "p":
            return
        indexes, position = rebuild(cursor, partitioned=True)
        cursor.execute("CREATE TABLE audit_auditevent_default PARTITION OF audit_auditevent DEFAULT")
        cursor.execute("SELECT avr_audit_partition_guard('audit_auditevent_default')")
        cursor.execute("SELECT DISTINCT date_trunc('month', at AT TIME ZONE 'UTC')::date FROM audit_auditevent_old")
        partitions_make(connection, sorted(month for (month,) in cursor.fetchall()))
        audit_partitions_ensure(connection=connection)
        cursor.execute("INSERT INTO audit_auditevent SELECT * FROM audit_auditevent_old")
        finish(cursor, indexes, position, key="id, at")
    app_role_grant(connection)


def unpartition(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if table_kind(cursor) != "p":
            return
        indexes, position = rebuild(cursor, partitioned=False)
        cursor.execute("INSERT INTO audit_auditevent SELECT * FROM audit_auditevent_old")
        # The partitions go with their parent (their own TRUNCATE guards too); archives are not partitions.
        finish(cursor, indexes, position, key="id")
    app_role_grant(connection)


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0010_mfa_actions'),
    ]

    operations = [
        migrations.AlterField(
            model_name='auditevent',
            name='action',
            field=models.CharField(choices=[('login', 'Login'), ('login_failed', 'Failed login'), ('logout', 'Logout'), ('login_refused', 'Sign-in refused (too many attempts)'), ('password_change', 'Password changed'), ('view', 'Viewed personal data'), ('list', 'Listed personal data'), ('insert', 'Created'), ('update', 'Changed'), ('delete', 'Deleted'), ('export', 'Export'), ('download', 'Download'), ('shred', 'Values made unreadable'), ('break_glass', 'Emergency access granted'), ('glass_reviewed', 'Emergency access reviewed'), ('erasure', 'Erasure requested'), ('mfa_enrolled', 'Two-factor sign-in set up'), ('mfa_codes', 'New recovery codes made'), ('mfa_recovery', 'Signed in with a recovery code'), ('mfa_disabled', 'Two-factor sign-in turned off'), ('mfa_reset_asked', 'Two-factor reset requested'), ('mfa_reset', 'Two-factor reset approved'), ('detached', 'Old audit months detached to archive tables')], db_index=True, max_length=16, verbose_name='action'),
        ),
        migrations.RunSQL(sql=PARTITION_FUNCTIONS, reverse_sql=DROP_PARTITION_FUNCTIONS),
        migrations.RunPython(partition, unpartition, elidable=False),
    ]
