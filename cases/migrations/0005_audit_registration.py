from django.db import migrations

from audit.operations import AuditChanges


class Migration(migrations.Migration):
    dependencies = [("cases", "0004_registration")]

    operations = [
        AuditChanges("cases_consent"),
        AuditChanges("cases_duplicatedecision"),
        AuditChanges("cases_caseevent"),
    ]
