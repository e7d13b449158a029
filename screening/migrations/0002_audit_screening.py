from django.db import migrations

from audit.operations import AuditChanges


class Migration(migrations.Migration):
    dependencies = [("screening", "0001_initial")]

    # Restricted notes are not copied into the audit log, which admins read: the log says that they changed.
    operations = [
        AuditChanges("screening_counsellingsession"),
        AuditChanges("screening_protectionscreening", hidden=("narrative", "resolution_note")),
        AuditChanges("screening_vulnerability"),
        AuditChanges("screening_fitnesstotravel", hidden=("detail",)),
        AuditChanges("screening_bestinterests"),
        AuditChanges("screening_declaration"),
        AuditChanges("screening_protectionreferral"),
    ]
