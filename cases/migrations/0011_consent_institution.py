from django.db import migrations, models
from django.db.models.functions import Lower
from django.utils import translation

SERVICES = ["health", "protection", "employment", "education", "legal_aid", "psychosocial", "shelter"]


def service_by_label():
    """Every referral service's label, in each language the consents were written in, to its code."""
    from reception.choices import Service

    labels = {}
    for language in ("en", "es"):
        with translation.override(language):
            for code in SERVICES:
                labels[str(Service(code).label).strip().lower()] = code
    return labels | {code: code for code in SERVICES}


def consents_point_at_institutions(apps, schema_editor):
    """Sharing consents recorded by name: find their institution (the case's country first) and their service."""
    Consent = apps.get_model("cases", "Consent")
    Institution = apps.get_model("reception", "Institution")
    labels = service_by_label()
    institutions = {}
    for row in Institution.objects.annotate(key=Lower("name")).order_by("id"):
        institutions.setdefault(row.key.strip(), []).append(row)
    for consent in Consent.objects.filter(scope="sharing", institution__isnull=True).select_related("case"):
        found = institutions.get(consent.recipient.strip().lower(), [])
        if not found:
            continue
        here = [i for i in found if i.country == consent.case.destination_country] or found
        consent.institution_id = here[0].pk
        consent.service = consent.service or labels.get(consent.purpose.strip().lower(), "")
        consent.save(update_fields=["institution", "service"])


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0010_member_name_block_covering"),
        ("reception", "0002_audit_reception"),
    ]

    operations = [
        migrations.AddField(
            model_name="consent",
            name="institution",
            field=models.ForeignKey(blank=True, null=True, on_delete=models.deletion.PROTECT, related_name="consents",
                                    to="reception.institution", verbose_name="institution"),
        ),
        migrations.RunPython(consents_point_at_institutions, migrations.RunPython.noop),
    ]
