import django.contrib.postgres.fields
import django.contrib.postgres.indexes
from django.db import migrations, models


class Migration(migrations.Migration):
    """Name tokens as an array with a GIN index, filled from name_key before the index is built."""

    dependencies = [
        ("audit", "0003_derived_keys_not_audited"),
        ("cases", "0005_audit_registration"),
    ]

    operations = [
        migrations.AddField(
            model_name="member",
            name="name_tokens",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.CharField(max_length=60), blank=True, default=list, editable=False),
        ),
        migrations.RunSQL(
            sql="UPDATE cases_member SET name_tokens = string_to_array(name_key, ' ') WHERE name_key <> ''",
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.AddIndex(
            model_name="member",
            index=django.contrib.postgres.indexes.GinIndex(fields=["name_tokens"], name="member_name_tokens"),
        ),
    ]
