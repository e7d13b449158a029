"""The database role the application runs as: it may read and write the app's tables, never rewrite the audit log.

Migrations run as the owner of the tables (DATABASE_OWNER_URL); the app role (DATABASE_APP_ROLE) owns nothing, so it
can neither lift the audit triggers (ALTER TABLE needs the owner) nor TRUNCATE, UPDATE or DELETE the log.
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# Tables the app may only read and append to; migrations 0002 and 0005 add the triggers that refuse the rest.
APPEND_ONLY_TABLES = ("audit_auditevent",)


def app_role_grant(connection, role: str | None = None) -> None:
    """Grant the app role what it needs on every table of the schema, now and (default privileges) later; idempotent."""
    role = role or settings.DATABASE_APP_ROLE
    if not role:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, current_database(), current_schema(), "
                       "EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %s)", [role])
        owner, database, schema, exists = cursor.fetchone()
        if not exists:
            raise ImproperlyConfigured(f"DATABASE_APP_ROLE names the role {role!r}, which the database server does "
                                       "not have; create it first (see README, 'Two database roles')")
        if role == owner:
            raise ImproperlyConfigured(f"DATABASE_APP_ROLE {role!r} is the role running the migrations; the app role "
                                       "must be another role, one that owns no table")
        for statement in grant_statements(connection.ops.quote_name, role, database, schema,
                                          partitions=audit_partition_tables(cursor),
                                          functions=audit_functions(cursor)):
            cursor.execute(statement)


def audit_partition_tables(cursor) -> list[str]:
    """The log's partitions and detached archives (audit/partitions.py): reached through audit_auditevent only."""
    cursor.execute("SELECT c.relname FROM pg_class AS c LEFT JOIN pg_inherits AS i ON i.inhrelid = c.oid "
                   "AND i.inhparent = to_regclass('audit_auditevent') WHERE c.relkind = 'r' "
                   "AND c.relnamespace = current_schema()::regnamespace "
                   "AND (i.inhrelid IS NOT NULL OR c.relname LIKE %s) ORDER BY 1", [r"audit\_archive\_%"])
    return [name for (name,) in cursor.fetchall()]


def audit_functions(cursor) -> list[str]:
    """The functions the app role may call though it owns nothing: making next month's audit partition."""
    cursor.execute("SELECT to_regprocedure('avr_audit_partition_ensure(date)') IS NOT NULL")
    return ["avr_audit_partition_ensure(date)"] if cursor.fetchone()[0] else []


def grant_statements(quote, role: str, database: str, schema: str, partitions=(), functions=()) -> list[str]:
    role, database, schema = quote(role), quote(database), quote(schema)
    statements = [
        f"GRANT CONNECT ON DATABASE {database} TO {role}",
        f"GRANT USAGE ON SCHEMA {schema} TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
        # Tables and sequences the owner creates later (later migrations) get the same grants.
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE, SELECT ON SEQUENCES TO {role}",
    ]
    for table in APPEND_ONLY_TABLES:
        statements += [f"REVOKE ALL ON {schema}.{quote(table)} FROM {role}",
                       f"GRANT SELECT, INSERT ON {schema}.{quote(table)} TO {role}"]
    # "ON ALL TABLES" above reached the partitions too: UPDATE and DELETE there would meet only the triggers.
    statements += [f"REVOKE ALL ON {schema}.{quote(table)} FROM {role}" for table in partitions]
    statements += [f"GRANT EXECUTE ON FUNCTION {schema}.{function} TO {role}" for function in functions]
    return statements
