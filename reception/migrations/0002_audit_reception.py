from django.db import migrations

from audit.operations import AuditChanges


class Migration(migrations.Migration):
    dependencies = [("reception", "0001_initial")]

    operations = [
        AuditChanges("reception_checkin"),
        AuditChanges("reception_handover"),
        AuditChanges("reception_assistance"),
        AuditChanges("reception_kitdelivery"),
        AuditChanges("reception_institution"),
        AuditChanges("reception_referral"),
        AuditChanges("reception_followup"),
    ]
