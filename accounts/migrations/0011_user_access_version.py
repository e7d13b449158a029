"""The user's access version: bumped by the database on every change to the user's assignments.

A trigger, not the application, so that every door (admin, services, bulk updates, raw SQL, another web node)
moves the version, and the per-process cache of assignments keyed by it can never serve a stale list.
"""

from django.db import migrations, models

BUMP_SQL = r"""
CREATE OR REPLACE FUNCTION avr_user_access_bump() RETURNS trigger AS $$
DECLARE
    touched bigint[];  -- the rows' ids (user_id for assignments), from whichever transition tables this event has
    column_name text := CASE TG_TABLE_NAME WHEN 'accounts_assignment' THEN 'user_id' ELSE 'id' END;
BEGIN
    -- A transition table exists only for the events that have it: plpgsql plans each branch when it runs.
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        EXECUTE format('SELECT array_agg(%I) FROM old_rows', column_name) INTO touched;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        EXECUTE format('SELECT coalesce($1, ''{}'') || array_agg(%I) FROM new_rows', column_name)
           INTO touched USING touched;
    END IF;
    IF TG_TABLE_NAME = 'accounts_assignment' THEN
        UPDATE accounts_user SET version = version + 1 WHERE id = ANY (touched);
    ELSIF TG_TABLE_NAME = 'accounts_office' THEN
        UPDATE accounts_user SET version = version + 1
         WHERE id IN (SELECT user_id FROM accounts_assignment WHERE office_id = ANY (touched));
    ELSE
        UPDATE accounts_user SET version = version + 1
         WHERE id IN (SELECT user_id FROM accounts_assignment WHERE programme_id = ANY (touched));
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""


def triggers_sql(table: str) -> str:
    # Statement-level with transition tables: one UPDATE of the users per statement, however many rows it touched.
    # A trigger can name only one event when it has transition tables, hence three per table.
    parts = []
    for event, tables in (("INSERT", "NEW TABLE AS new_rows"), ("DELETE", "OLD TABLE AS old_rows"),
                          ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows")):
        name = f"avr_access_{table}_{event.lower()}"
        parts.append(f"DROP TRIGGER IF EXISTS {name} ON {table}; "
                     f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {tables} "
                     f"FOR EACH STATEMENT EXECUTE FUNCTION avr_user_access_bump();")
    return "\n".join(parts)


TABLES = ("accounts_assignment", "accounts_office", "accounts_programme")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0010_mfa_reset")]

    operations = [
        migrations.AddField(
            model_name="user", name="version",
            field=models.PositiveIntegerField(db_default=0, default=0, editable=False, verbose_name="access version"),
        ),
        migrations.RunSQL(
            sql=BUMP_SQL + "\n".join(triggers_sql(t) for t in TABLES),
            reverse_sql="".join(f"DROP TRIGGER IF EXISTS avr_access_{t}_{e} ON {t};"
                                for t in TABLES for e in ("insert", "delete", "update"))
                        + "DROP FUNCTION IF EXISTS avr_user_access_bump();",
        ),
    ]
