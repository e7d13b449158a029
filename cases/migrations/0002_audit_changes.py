from django.db import migrations

from audit.operations import AuditChanges


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial"), ("audit", "0002_triggers")]

    operations = [
        AuditChanges("cases_case"),
        AuditChanges("cases_member"),
        AuditChanges("cases_caseuserobjectpermission"),
        AuditChanges("cases_casegroupobjectpermission"),
    ]
