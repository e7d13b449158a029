from django.db import migrations

from audit.operations import AuditChanges


class Migration(migrations.Migration):
    dependencies = [("travel", "0001_initial")]

    operations = [
        AuditChanges("travel_movement"),
        AuditChanges("travel_movementleg"),
        AuditChanges("travel_booking"),
        AuditChanges("travel_traveldocument"),
        AuditChanges("travel_escort"),
        AuditChanges("travel_bordersupport"),
    ]
