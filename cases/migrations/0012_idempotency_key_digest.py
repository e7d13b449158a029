"""Idempotency keys are kept as their SHA-256 digest, and bound to the request they were first used for."""

import hashlib

from django.db import migrations, models


def keys_to_digests(apps, schema_editor):
    # Rows written before this migration hold the key as sent (cut at 100 characters); a retry of such a key
    # now looks up its digest, so store the digest of what was kept. Their request hash stays empty: replayed as before.
    IdempotencyKey = apps.get_model("cases", "IdempotencyKey")
    for row in IdempotencyKey.objects.only("pk", "key").iterator():
        digest = hashlib.sha256(row.key.encode("utf-8", "surrogatepass")).hexdigest()
        IdempotencyKey.objects.filter(pk=row.pk).update(key=digest)


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0011_consent_institution"),
    ]

    operations = [
        migrations.AddField(
            model_name="idempotencykey",
            name="request_hash",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.RunPython(keys_to_digests, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="idempotencykey",
            name="key",
            field=models.CharField(max_length=64),
        ),
    ]
