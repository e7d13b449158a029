from django.db import migrations


class Migration(migrations.Migration):
    """TRUNCATE fires no row trigger, so the log (and the case keys its values are sealed with) refuse it per statement.

    The case keys may still be deleted row by row (crypto-shredding); emptying the table at once may not.
    """

    dependencies = [("audit", "0004_sealed_values")]

    operations = [
        migrations.RunSQL(
            sql="""
            CREATE TRIGGER avr_audit_no_truncate BEFORE TRUNCATE ON audit_auditevent
            FOR EACH STATEMENT EXECUTE FUNCTION avr_audit_append_only();
            CREATE TRIGGER avr_audit_no_truncate BEFORE TRUNCATE ON audit_casekey
            FOR EACH STATEMENT EXECUTE FUNCTION avr_audit_append_only();
            """,
            reverse_sql="DROP TRIGGER IF EXISTS avr_audit_no_truncate ON audit_auditevent;"
                        "DROP TRIGGER IF EXISTS avr_audit_no_truncate ON audit_casekey;",
        ),
    ]
