import django.contrib.postgres.indexes
from django.db import migrations

FASTUPDATE_OFF = """
    ALTER INDEX member_name_tokens SET (fastupdate = off);
    SELECT gin_clean_pending_list('member_name_tokens'::regclass);
"""
FASTUPDATE_ON = "ALTER INDEX member_name_tokens SET (fastupdate = on)"


class Migration(migrations.Migration):
    """The name-search GIN index without a pending list, altered in place rather than rebuilt on every member."""

    dependencies = [
        ("cases", "0008_case_closure_reason_consent_service"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(sql=FASTUPDATE_OFF, reverse_sql=FASTUPDATE_ON)],
            state_operations=[
                migrations.RemoveIndex(model_name="member", name="member_name_tokens"),
                migrations.AddIndex(
                    model_name="member",
                    index=django.contrib.postgres.indexes.GinIndex(
                        fastupdate=False, fields=["name_tokens"], name="member_name_tokens"),
                ),
            ],
        ),
    ]
