"""Migration operations that make the database itself keep the audit log."""

from django.db import migrations

# As migrations 0002 and 0003 installed it (values in clear); 0004 replaces it with SEALED_ROW_CHANGE_FUNCTION.
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


CIPHER_FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION avr_audit_xor64(a bytea, b bytea) RETURNS bytea AS $$
    -- XOR of two byte strings of the same length, a multiple of 8, eight bytes at a time.
    SELECT coalesce(string_agg(int8send(
               ('x' || encode(substr(a, 8 * k + 1, 8), 'hex'))::bit(64)::bigint
             # ('x' || encode(substr(b, 8 * k + 1, 8), 'hex'))::bit(64)::bigint), ''::bytea ORDER BY k), ''::bytea)
      FROM generate_series(0, length(a) / 8 - 1) AS k;
$$ LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE;

-- HMAC-SHA256 (RFC 2104) in counter mode as a stream cipher, built on the core sha256(): the embedded PostgreSQL
-- of `make run` has no pgcrypto. The same call encrypts and decrypts; every sealing uses a fresh random nonce.
CREATE OR REPLACE FUNCTION avr_audit_cipher(key bytea, nonce bytea, data bytea) RETURNS bytea AS $$
DECLARE
    k bytea := CASE WHEN length(key) > 64 THEN sha256(key) ELSE key END;
    inner_key bytea;
    outer_key bytea;
    stream bytea;
    padded bytea := data || decode(repeat('00', (8 - length(data) % 8) % 8), 'hex');
BEGIN
    k := k || decode(repeat('00', 64 - length(k)), 'hex');
    inner_key := avr_audit_xor64(k, decode(repeat('36', 64), 'hex'));
    outer_key := avr_audit_xor64(k, decode(repeat('5c', 64), 'hex'));
    SELECT coalesce(string_agg(sha256(outer_key || sha256(inner_key || nonce || int4send(n))), ''::bytea ORDER BY n),
                    ''::bytea)
      INTO stream
      FROM generate_series(0, (length(data) + 31) / 32 - 1) AS n;
    RETURN substr(avr_audit_xor64(padded, substr(stream, 1, length(padded))), 1, length(data));
END;
$$ LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION avr_audit_random(n integer) RETURNS bytea AS $$
    -- gen_random_uuid() draws from the server's strong random source (122 random bits per uuid).
    SELECT substr(decode(string_agg(replace(gen_random_uuid()::text, '-', ''), ''), 'hex'), 1, n)
      FROM generate_series(1, (n + 15) / 16);
$$ LANGUAGE sql VOLATILE STRICT;

CREATE OR REPLACE FUNCTION avr_audit_case_key(for_case bigint) RETURNS bytea AS $$
DECLARE
    found_key bytea;
BEGIN
    -- Made on first use; NULL once destroyed, and never made again for that case.
    SELECT key INTO found_key FROM audit_casekey WHERE case_id = for_case;
    IF FOUND THEN RETURN found_key; END IF;
    INSERT INTO audit_casekey (case_id, key, created_at) VALUES (for_case, avr_audit_random(32), now())
        ON CONFLICT (case_id) DO NOTHING;
    SELECT key INTO found_key FROM audit_casekey WHERE case_id = for_case;
    RETURN found_key;
END;
$$ LANGUAGE plpgsql VOLATILE STRICT;

CREATE OR REPLACE FUNCTION avr_audit_seal(for_case bigint, payload jsonb) RETURNS text AS $$
DECLARE
    case_key bytea := avr_audit_case_key(for_case);
    nonce bytea := avr_audit_random(16);
BEGIN
    IF case_key IS NULL THEN RETURN NULL; END IF;
    RETURN translate(encode(nonce || avr_audit_cipher(case_key, nonce, convert_to(payload::text, 'UTF8')), 'base64'),
                     E'\n', '');
END;
$$ LANGUAGE plpgsql VOLATILE STRICT;

CREATE OR REPLACE FUNCTION avr_audit_unseal(case_key bytea, sealed text) RETURNS jsonb AS $$
    SELECT convert_from(avr_audit_cipher(case_key, substr(raw, 1, 16), substr(raw, 17)), 'UTF8')::jsonb
      FROM (SELECT decode(sealed, 'base64') AS raw) AS r;
$$ LANGUAGE sql IMMUTABLE STRICT;

CREATE OR REPLACE FUNCTION avr_audit_case_of(locator text, row_data jsonb) RETURNS bigint AS $$
    -- Which case a row belongs to: the case itself, a column naming it, or the case of the member it names.
    SELECT CASE locator
        WHEN 'id' THEN (row_data ->> 'id')::bigint
        WHEN 'case_id' THEN (row_data ->> 'case_id')::bigint
        WHEN 'content_object_id' THEN (row_data ->> 'content_object_id')::bigint
        WHEN 'member_id' THEN (SELECT m.case_id FROM cases_member AS m WHERE m.id = (row_data ->> 'member_id')::bigint)
    END;
$$ LANGUAGE sql STABLE;

CREATE OR REPLACE FUNCTION avr_audit_changes(locator text, hidden text[], old_row jsonb, new_row jsonb,
                                             columns text[]) RETURNS jsonb AS $$
DECLARE
    changes jsonb := jsonb_build_object('columns', to_jsonb(columns));
    payload jsonb := '{}'::jsonb;
    for_case bigint;
    sealed text;
BEGIN
    -- Values of the changed columns only; hidden columns are named but their values never copied.
    IF old_row IS NOT NULL THEN
        payload := payload || jsonb_build_object('before', (SELECT coalesce(jsonb_object_agg(c, old_row -> c), '{}')
                                                              FROM unnest(columns) AS c WHERE c <> ALL (hidden)));
    END IF;
    IF new_row IS NOT NULL THEN
        payload := payload || jsonb_build_object('after', (SELECT coalesce(jsonb_object_agg(c, new_row -> c), '{}')
                                                             FROM unnest(columns) AS c WHERE c <> ALL (hidden)));
    END IF;
    IF locator = 'none' THEN
        RETURN changes || payload;  -- a table of no case holding nothing personal outside its hidden columns
    END IF;
    IF locator NOT IN ('id', 'case_id', 'content_object_id', 'member_id') THEN
        RETURN changes;  -- an unknown kind of table: names only, never a value in clear
    END IF;
    for_case := avr_audit_case_of(locator, coalesce(new_row, old_row));
    IF for_case IS NULL THEN RETURN changes; END IF;
    changes := changes || jsonb_build_object('case', for_case);
    sealed := avr_audit_seal(for_case, payload);
    IF sealed IS NOT NULL THEN changes := changes || jsonb_build_object('sealed', sealed); END IF;
    RETURN changes;
END;
$$ LANGUAGE plpgsql VOLATILE;
"""

SEALED_ROW_CHANGE_FUNCTION = r"""
CREATE OR REPLACE FUNCTION avr_audit_row_change() RETURNS trigger AS $$
DECLARE
    old_row jsonb;
    new_row jsonb;
    columns text[];
    actor text := nullif(current_setting('avr.actor_id', true), '');
    locator text := CASE WHEN TG_NARGS > 0 THEN TG_ARGV[0] ELSE '' END;
    hidden text[] := coalesce(TG_ARGV[1:], '{}'::text[]);
    -- Bookkeeping and keys derived from audited columns: a change to them alone is not a change worth a line.
    derived text[] := ARRAY['updated_at', 'last_login', 'version', 'name_key', 'name_tokens', 'family_initials',
                            'birth_year', 'document_key', 'phone_key'];
BEGIN
    IF TG_OP <> 'INSERT' THEN old_row := to_jsonb(OLD); END IF;
    IF TG_OP <> 'DELETE' THEN new_row := to_jsonb(NEW); END IF;
    IF TG_OP = 'UPDATE' THEN
        SELECT array_agg(n.key ORDER BY n.key) INTO columns
          FROM jsonb_each(new_row) AS n
         WHERE (old_row -> n.key) IS DISTINCT FROM n.value AND n.key <> ALL (derived);
        IF columns IS NULL THEN RETURN NULL; END IF;
    ELSE
        SELECT coalesce(array_agg(n.key ORDER BY n.key), '{}') INTO columns
          FROM jsonb_each(coalesce(new_row, old_row)) AS n
         WHERE n.value <> 'null'::jsonb AND n.key <> ALL (derived);
    END IF;
    INSERT INTO audit_auditevent (at, actor_id, actor_username, action, object_type, object_id, object_ids,
                                  reason, changes, path)
    VALUES (now(), actor::bigint, coalesce(current_setting('avr.actor_username', true), ''), lower(TG_OP),
            TG_TABLE_NAME, coalesce(new_row ->> 'id', old_row ->> 'id', ''), '{}', '',
            avr_audit_changes(locator, hidden, old_row, new_row, columns), '');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""


def audit_trigger_sql(table: str, case: str = "", hidden: tuple[str, ...] = ()) -> str:
    """The trigger that logs every row change of `table`; `case` says how a row names its case (see below)."""
    args = ", ".join(f"'{arg}'" for arg in (case, *hidden))
    trigger = f"avr_audit_{table}"
    return (f"DROP TRIGGER IF EXISTS {trigger} ON {table}; "
            f"CREATE TRIGGER {trigger} AFTER INSERT OR UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION avr_audit_row_change({args});")


class AuditChanges(migrations.RunSQL):
    """Record every INSERT/UPDATE/DELETE on `table` (bulk writes too).

    `case` says which case a row belongs to, so its values are sealed with that case's key: "id" (the case
    table), "case_id" or "content_object_id" (a column naming the case), "member_id" (the case of that member).
    "none" is for tables of no case that hold nothing personal: values kept in clear. Left empty, only the
    changed column names are kept. `hidden` columns are named when they change, their values never copied.
    """

    def __init__(self, table: str, hidden: tuple[str, ...] = (), case: str = ""):
        super().__init__(sql=audit_trigger_sql(table, case, hidden),
                         reverse_sql=f"DROP TRIGGER IF EXISTS avr_audit_{table} ON {table};")
