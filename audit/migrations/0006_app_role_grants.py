from django.db import migrations

from audit.roles import app_role_grant


def grant(apps, schema_editor):
    app_role_grant(schema_editor.connection)


class Migration(migrations.Migration):
    """When DATABASE_APP_ROLE names the role the application runs as, grant it the app's tables, not the log's rewrite.

    Run as the owner (DATABASE_OWNER_URL); `manage.py migrate` grants again after every run, so tables created later,
    or a role named later, are covered too.
    """

    dependencies = [("audit", "0005_truncate_refused")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop, elidable=False)]
