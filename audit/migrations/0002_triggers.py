from django.db import migrations

from audit.operations import APPEND_ONLY_FUNCTION, ROW_CHANGE_FUNCTION


class Migration(migrations.Migration):
    """The audit log refuses UPDATE and DELETE in the database itself; the row-change function feeds it."""

    dependencies = [("audit", "0001_initial")]

    operations = [
        migrations.RunSQL(
            sql=APPEND_ONLY_FUNCTION + """
            CREATE TRIGGER avr_audit_append_only BEFORE UPDATE OR DELETE ON audit_auditevent
            FOR EACH ROW EXECUTE FUNCTION avr_audit_append_only();
            """,
            reverse_sql="DROP TRIGGER IF EXISTS avr_audit_append_only ON audit_auditevent;"
                        "DROP FUNCTION IF EXISTS avr_audit_append_only();",
        ),
        migrations.RunSQL(sql=ROW_CHANGE_FUNCTION, reverse_sql="DROP FUNCTION IF EXISTS avr_audit_row_change();"),
    ]
