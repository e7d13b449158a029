from django.db import migrations, models


class Migration(migrations.Migration):
    """The duplicate check's name block index carries name_key and id: a block is tested without reading the table."""

    dependencies = [
        ("cases", "0009_member_name_tokens_without_pending_list"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="member",
            index=models.Index(fields=["nationality", "family_initials", "birth_year"], include=("name_key", "id"),
                               name="member_name_block_covering"),
        ),
        migrations.RemoveIndex(
            model_name="member",
            name="member_name_block",
        ),
    ]
