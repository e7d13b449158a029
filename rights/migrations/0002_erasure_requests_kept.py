from django.db import migrations

from audit.operations import AuditChanges


class Migration(migrations.Migration):
    dependencies = [("rights", "0001_erasure_requests"), ("audit", "0008_break_glass_actions")]

    operations = [
        AuditChanges("rights_erasurerequest", case="case_id"),
        # A request and its outcome are the record that the person's right was answered: kept as written.
        migrations.RunSQL(
            sql="CREATE TRIGGER avr_erasure_request_kept BEFORE UPDATE OR DELETE ON rights_erasurerequest "
                "FOR EACH ROW EXECUTE FUNCTION avr_audit_append_only();",
            reverse_sql="DROP TRIGGER IF EXISTS avr_erasure_request_kept ON rights_erasurerequest;"),
    ]
