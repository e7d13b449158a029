"""The migration that points existing sharing consents at their institution by key."""

import importlib

import pytest
from django.apps import apps as django_apps
from django.utils import timezone

from cases.models import Consent
from reception.models import Institution
from tests.screening_steps import family

pytestmark = pytest.mark.django_db

backfill = importlib.import_module("cases.migrations.0011_consent_institution")


def test_consents_recorded_by_name_and_spanish_label_are_pointed_at_their_institution(caseworker, caravan, tij):
    case = family(actor=caseworker, programme=caravan, office=tij)
    ana = case.members.first()
    elsewhere = Institution.objects.create(name="Centro de Salud", country="GT", services=["health"])
    here = Institution.objects.create(name="Centro de Salud", country=case.destination_country, services=["health"])
    given = {"case": case, "member": ana, "scope": "sharing", "type": "explicit", "given_on": timezone.localdate(),
             "recorded_by": caseworker}
    by_label = Consent.objects.create(recipient="centro de salud", purpose="Salud", **given)
    unknown = Consent.objects.create(recipient="Una ONG", purpose="Salud", **given)

    backfill.consents_point_at_institutions(django_apps, None)

    by_label.refresh_from_db()
    unknown.refresh_from_db()
    assert (by_label.institution_id, by_label.service) == (here.pk, "health") and elsewhere.pk != here.pk
    assert unknown.institution_id is None
