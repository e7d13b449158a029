"""An assistance item's request key is kept as the SHA-256 digest of the client's key (no cut at 100 characters)."""

import hashlib

from django.db import migrations


def keys_to_digests(apps, schema_editor):
    # A retry after the upgrade looks up the digest of its key: store the digest of what earlier rows kept.
    Assistance = apps.get_model("reception", "Assistance")
    for row in Assistance.objects.only("pk", "request_key").iterator():
        digest = hashlib.sha256(row.request_key.encode("utf-8", "surrogatepass")).hexdigest()
        Assistance.objects.filter(pk=row.pk).update(request_key=digest)


class Migration(migrations.Migration):
    dependencies = [("reception", "0002_audit_reception")]

    operations = [migrations.RunPython(keys_to_digests, migrations.RunPython.noop)]
