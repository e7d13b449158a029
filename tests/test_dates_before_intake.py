"""A counselling session, a declaration or a consent dated before the case's intake is refused, page and API, with a
message next to the date (it would otherwise fall outside the period the donor figures count it in)."""

from datetime import date

import pytest
from django.urls import reverse

from cases.models import Consent
from screening.models import CounsellingSession, Declaration
from tests.conftest import api_as
from tests.screening_steps import family

pytestmark = pytest.mark.django_db

BEFORE = "2018-11-18"  # the day before the household's intake (2018-11-19)


@pytest.fixture
def case(caseworker, caravan, tij):
    return family(actor=caseworker, programme=caravan, office=tij)


def doors(case):
    ana = case.members.get(given_names="Ana Lucía")
    session = {"language": "español", "topics": ["alternatives"], "outcome": "wishes_to_return"}
    consent = {"scope": "follow_up", "type": "explicit"}
    return [
        ("held_on", reverse("counselling_session_new", args=[case.pk]),
         f"/api/v1/cases/{case.pk}/counselling-sessions/", session, CounsellingSession),
        ("signed_on", reverse("declaration_new", args=[case.pk, ana.pk]),
         f"/api/v1/members/{ana.pk}/declarations/", {"witness": "Sor Juana"}, Declaration),
        ("given_on", reverse("consent_new", args=[case.pk, ana.pk]),
         f"/api/v1/members/{ana.pk}/consents/", consent, Consent),
    ]


def counts():
    return (CounsellingSession.objects.count(), Declaration.objects.count(), Consent.objects.count())


@pytest.mark.parametrize("door", [0, 1, 2], ids=["counselling", "declaration", "consent"])
def test_a_record_dated_before_the_intake_is_refused_at_the_page_and_the_api(client, caseworker, case, door):
    name, page_url, api_url, body, _model = doors(case)[door]
    before = counts()
    client.force_login(caseworker)

    page = client.post(page_url, {**body, name: BEFORE})
    api = api_as(caseworker).post(api_url, {**body, name: BEFORE}, format="json")

    assert page.status_code == 200 and f'id="id_{name}_error"' in page.content.decode()
    assert "anterior a la fecha de ingreso del caso" in page.content.decode()
    assert api.status_code == 400 and name in api.json()["fields"]
    assert counts() == before


@pytest.mark.parametrize("door", [0, 1, 2], ids=["counselling", "declaration", "consent"])
def test_a_record_dated_on_the_intake_day_is_accepted(caseworker, case, door):
    name, _page, api_url, body, model = doors(case)[door]
    before = model.objects.count()

    response = api_as(caseworker).post(api_url, {**body, name: date(2018, 11, 19).isoformat()}, format="json")

    assert response.status_code == 201 and model.objects.count() == before + 1
