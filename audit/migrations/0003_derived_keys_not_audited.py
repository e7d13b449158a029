from django.db import migrations

from audit.operations import ROW_CHANGE_FUNCTION


class Migration(migrations.Migration):
    """Duplicate-detection keys are derived from audited columns: recomputing them alone writes no audit line."""

    dependencies = [("audit", "0002_triggers")]

    operations = [migrations.RunSQL(sql=ROW_CHANGE_FUNCTION, reverse_sql=migrations.RunSQL.noop)]
