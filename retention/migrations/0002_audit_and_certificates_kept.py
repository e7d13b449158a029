from django.db import migrations

from audit.operations import AuditChanges


class Migration(migrations.Migration):
    dependencies = [("retention", "0001_initial"), ("audit", "0005_truncate_refused")]

    operations = [
        AuditChanges("retention_legalhold", case="case_id"),
        AuditChanges("retention_reviewitem", case="case_id"),
        AuditChanges("retention_erasurecertificate", case="none"),
        # A certificate is the proof that the erasure happened: nobody edits or removes it, the app included.
        migrations.RunSQL(
            sql="CREATE TRIGGER avr_certificate_kept BEFORE UPDATE OR DELETE ON retention_erasurecertificate "
                "FOR EACH ROW EXECUTE FUNCTION avr_audit_append_only();",
            reverse_sql="DROP TRIGGER IF EXISTS avr_certificate_kept ON retention_erasurecertificate;"),
    ]
