import django.utils.timezone
from django.db import migrations, models

from audit.operations import CIPHER_FUNCTIONS, SEALED_ROW_CHANGE_FUNCTION, audit_trigger_sql

# Which case each audited table's rows belong to, and the columns whose values are never copied (named only).
AUDITED_TABLES = [
    ("cases_case", "id", ()),
    ("cases_member", "case_id", ()),
    ("cases_caseuserobjectpermission", "content_object_id", ()),
    ("cases_casegroupobjectpermission", "content_object_id", ()),
    ("cases_consent", "case_id", ()),
    ("cases_duplicatedecision", "member_id", ()),
    ("cases_caseevent", "case_id", ()),
    ("screening_counsellingsession", "case_id", ()),
    ("screening_protectionscreening", "member_id", ("narrative", "resolution_note")),
    ("screening_vulnerability", "member_id", ()),
    ("screening_fitnesstotravel", "member_id", ("detail",)),
    ("screening_bestinterests", "member_id", ()),
    ("screening_declaration", "member_id", ()),
    ("screening_protectionreferral", "case_id", ()),
    ("travel_movement", "none", ("notes",)),
    ("travel_movementleg", "none", ()),
    ("travel_booking", "case_id", ()),
    ("travel_traveldocument", "member_id", ()),
    ("travel_escort", "none", ("name", "phone")),
    ("travel_bordersupport", "none", ()),
    ("reception_checkin", "member_id", ()),
    ("reception_handover", "member_id", ()),
    ("reception_assistance", "member_id", ()),
    ("reception_kitdelivery", "none", ("note",)),
    ("reception_institution", "none", ("contact_person", "phone", "email")),
    ("reception_referral", "member_id", ()),
    ("reception_followup", "member_id", ()),
    ("accounts_office", "none", ()),
    ("accounts_programme", "none", ()),
    ("accounts_assignment", "none", ()),
    ("accounts_user", "none", ("password", "first_name", "last_name", "email")),
]

RESEAL_FUNCTION = r"""
CREATE FUNCTION avr_audit_reseal(tbl text, obj_id text, op text, old jsonb, locator text, hidden text[])
RETURNS jsonb AS $$
DECLARE
    old_row jsonb;
    new_row jsonb;
    probe jsonb := '{}'::jsonb;
    columns text[];
    derived text[] := ARRAY['updated_at', 'last_login', 'version', 'name_key', 'name_tokens', 'family_initials',
                            'birth_year', 'document_key', 'phone_key'];
BEGIN
    IF op = 'insert' THEN
        new_row := old -> 'after';
    ELSIF op = 'delete' THEN
        old_row := old -> 'before';
    ELSE
        SELECT jsonb_object_agg(key, value -> 0), jsonb_object_agg(key, value -> 1) INTO old_row, new_row
          FROM jsonb_each(old);
    END IF;
    SELECT coalesce(array_agg(n.key ORDER BY n.key), '{}') INTO columns
      FROM jsonb_each(coalesce(new_row, old_row)) AS n
     WHERE (op = 'update' OR n.value <> 'null'::jsonb) AND n.key <> ALL (derived);
    -- An old update line names only what changed: the row as it is now says which case it belongs to.
    IF locator NOT IN ('none', 'id') AND NOT coalesce(new_row, old_row) ? locator AND obj_id ~ '^[0-9]+$' THEN
        EXECUTE format('SELECT to_jsonb(t) FROM %I AS t WHERE t.id = $1', tbl) INTO probe USING obj_id::bigint;
    END IF;
    IF locator = 'id' THEN probe := jsonb_build_object('id', obj_id); END IF;
    IF new_row IS NOT NULL THEN new_row := coalesce(probe, '{}') || new_row; END IF;
    IF old_row IS NOT NULL THEN old_row := coalesce(probe, '{}') || old_row; END IF;
    RETURN avr_audit_changes(locator, hidden, old_row, new_row, columns);
END;
$$ LANGUAGE plpgsql VOLATILE;
"""


def table_values() -> str:
    rows = []
    for table, case, hidden in AUDITED_TABLES:
        hidden_sql = "ARRAY[" + ", ".join(f"'{c}'" for c in hidden) + "]::text[]"
        rows.append(f"('{table}', '{case}', {hidden_sql})")
    return ", ".join(rows)


RESEAL_SQL = f"""
ALTER TABLE audit_auditevent DISABLE TRIGGER avr_audit_append_only;
UPDATE audit_auditevent AS e
   SET changes = avr_audit_reseal(t.tbl, e.object_id, e.action, e.changes, t.locator, t.hidden)
  FROM (VALUES {table_values()}) AS t (tbl, locator, hidden)
 WHERE e.object_type = t.tbl AND e.action IN ('insert', 'update', 'delete')
   AND jsonb_typeof(e.changes) = 'object' AND NOT e.changes ? 'columns';
ALTER TABLE audit_auditevent ENABLE TRIGGER avr_audit_append_only;
DROP FUNCTION avr_audit_reseal(text, text, text, jsonb, text, text[]);
"""



class Migration(migrations.Migration):
    """Audit lines keep the changed column names; the values of a case's rows are sealed with the case's key.

    The one sanctioned rewrite of the log: lines written before this migration get the same form, with the
    append-only trigger lifted for that statement only.
    """

    dependencies = [
        ('audit', '0003_derived_keys_not_audited'),
        ('accounts', '0002_audit_changes'),
        ('cases', '0005_audit_registration'),
        ('screening', '0002_audit_screening'),
        ('travel', '0002_audit_travel'),
        ('reception', '0002_audit_reception'),
    ]

    operations = [
        migrations.CreateModel(
            name='CaseKey',
            fields=[
                ('case_id', models.BigIntegerField(primary_key=True, serialize=False, verbose_name='case')),
                ('key', models.BinaryField(null=True, verbose_name='key')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='key created')),
                ('destroyed_at', models.DateTimeField(blank=True, null=True, verbose_name='key destroyed')),
            ],
            options={
                'verbose_name': 'case audit key',
                'verbose_name_plural': 'case audit keys',
            },
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='action',
            field=models.CharField(choices=[('login', 'Login'), ('login_failed', 'Failed login'), ('logout', 'Logout'), ('view', 'Viewed personal data'), ('list', 'Listed personal data'), ('insert', 'Created'), ('update', 'Changed'), ('delete', 'Deleted'), ('export', 'Export'), ('download', 'Download'), ('shred', 'Values made unreadable')], db_index=True, max_length=16, verbose_name='action'),
        ),
        migrations.RunSQL(sql=CIPHER_FUNCTIONS + SEALED_ROW_CHANGE_FUNCTION, reverse_sql=migrations.RunSQL.noop),
        migrations.RunSQL(sql="".join(audit_trigger_sql(table, case, hidden) for table, case, hidden in AUDITED_TABLES),
                          reverse_sql=migrations.RunSQL.noop),
        migrations.RunSQL(sql=RESEAL_FUNCTION + RESEAL_SQL, reverse_sql=migrations.RunSQL.noop),
    ]
