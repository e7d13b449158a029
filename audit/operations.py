"""Migration operations that make the database itself keep the audit log."""

from django.db import migrations

ROW_CHANGE_FUNCTION = r"""
CREATE OR REPLACE FUNCTION avr_audit_row_change() RETURNS trigger AS $$
DECLARE
    old_row jsonb;
    new_row jsonb;
    diff jsonb;
    actor text := nullif(current_setting('avr.actor_id', true), '');
    hidden text[] := coalesce(TG_ARGV, '{}'::text[]);
    -- Bookkeeping and keys derived from audited columns: a change to them alone is not a change worth a line.
    derived text[] := ARRAY['updated_at', 'last_login', 'version', 'name_key', 'name_tokens', 'family_initials',
                            'birth_year', 'document_key', 'phone_key'];
BEGIN
    IF TG_OP <> 'INSERT' THEN old_row := to_jsonb(OLD) - hidden; END IF;
    IF TG_OP <> 'DELETE' THEN new_row := to_jsonb(NEW) - hidden; END IF;
    IF TG_OP = 'UPDATE' THEN
        SELECT jsonb_object_agg(n.key, jsonb_build_array(old_row -> n.key, n.value))
          INTO diff
          FROM jsonb_each(new_row) AS n
         WHERE (old_row -> n.key) IS DISTINCT FROM n.value
           AND n.key <> ALL (derived);
        IF diff IS NULL THEN RETURN NULL; END IF;
    ELSIF TG_OP = 'INSERT' THEN
        diff := jsonb_build_object('after', new_row);
    ELSE
        diff := jsonb_build_object('before', old_row);
    END IF;
    INSERT INTO audit_auditevent (at, actor_id, actor_username, action, object_type, object_id, object_ids,
                                  reason, changes, path)
    VALUES (now(), actor::bigint, coalesce(current_setting('avr.actor_username', true), ''), lower(TG_OP),
            TG_TABLE_NAME, coalesce(new_row ->> 'id', old_row ->> 'id', ''), '{}', '', diff, '');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""

APPEND_ONLY_FUNCTION = r"""
CREATE OR REPLACE FUNCTION avr_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


class AuditChanges(migrations.RunSQL):
    """Record every INSERT/UPDATE/DELETE on `table` (bulk writes too); `hidden` columns are never copied."""

    def __init__(self, table: str, hidden: tuple[str, ...] = ()):
        args = ", ".join(f"'{column}'" for column in hidden)
        trigger = f"avr_audit_{table}"
        super().__init__(
            sql=f"CREATE TRIGGER {trigger} AFTER INSERT OR UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION avr_audit_row_change({args});",
            reverse_sql=f"DROP TRIGGER IF EXISTS {trigger} ON {table};",
        )
