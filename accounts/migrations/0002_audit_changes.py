from django.db import migrations

from audit.operations import AuditChanges


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial"), ("audit", "0002_triggers")]

    operations = [
        AuditChanges("accounts_office"),
        AuditChanges("accounts_programme"),
        AuditChanges("accounts_assignment"),
        AuditChanges("accounts_user", hidden=("password",)),
    ]
