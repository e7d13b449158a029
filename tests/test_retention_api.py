"""`POST /api/v1/cases/{id}/anonymise/`: for admins and the case's supervisors; a dry run writes nothing; a case not
closed, under a legal hold or already done is refused with a clear 409 and nothing changes."""

import pytest

from audit.models import CaseKey
from cases.models import Case, CaseEvent, Member
from retention.models import ErasureCertificate, LegalHold
from retention.plan import MARKER
from tests.conftest import api_as
from tests.screening_steps import family

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed_family(caseworker, supervisor, caravan, tij):
    """A family that withdrew before travelling (a closed status): its names, document and notes still held."""
    case = family(actor=caseworker, programme=caravan, office=tij)
    Case.objects.filter(pk=case.pk).update(status="withdrawn", caseworker_notes="Ana Lucía volvió a Choloma")
    CaseEvent.objects.create(case=case, actor=supervisor, from_status="registered", to_status="withdrawn",
                             note="Ana Lucía decidió quedarse")
    case.refresh_from_db()
    return case


def url(case, query=""):
    return f"/api/v1/cases/{case.pk}/anonymise/{query}"


def names(case):
    return sorted(Member.objects.filter(case=case).values_list("given_names", flat=True))


@pytest.mark.parametrize("who", ["supervisor", "admin_user"])
def test_an_admin_or_the_cases_supervisor_anonymises_a_closed_case(who, closed_family, request):
    user = request.getfixturevalue(who)

    response = api_as(user).post(url(closed_family))

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["dry_run"] is False and body["cases"] == [closed_family.reference]
    assert body["removed"]["cases.Member"]["rows"] == 3
    assert body["certificate"]["by"] == user.username and "24 months" in body["certificate"]["policy"]
    assert names(closed_family) == [MARKER] * 3
    assert set(CaseEvent.objects.filter(case=closed_family).values_list("note", flat=True)) == {""}
    assert ErasureCertificate.objects.get().case_references == [closed_family.reference]


def test_a_dry_run_answers_what_would_go_and_changes_nothing(closed_family, supervisor):
    before = names(closed_family)

    response = api_as(supervisor).post(url(closed_family, "?dry_run=1"))

    assert response.status_code == 200
    assert response.json()["dry_run"] is True and response.json()["certificate"] is None
    assert "given_names" in response.json()["removed"]["cases.Member"]["fields"]
    assert names(closed_family) == before
    assert not ErasureCertificate.objects.exists()
    assert not CaseKey.objects.filter(case_id=closed_family.pk, key__isnull=True).exists()


@pytest.mark.parametrize(("who", "status"), [("caseworker", 403), ("outsider", 404), ("other_supervisor", 404),
                                             ("movement_officer", 404)])
def test_nobody_else_anonymises_and_who_may_not_see_the_case_is_told_it_does_not_exist(who, status, closed_family,
                                                                                        request):
    before = names(closed_family)

    response = api_as(request.getfixturevalue(who)).post(url(closed_family))

    assert response.status_code == status
    assert response.json()["code"] == ("permission_denied" if status == 403 else "not_found")
    assert names(closed_family) == before and not ErasureCertificate.objects.exists()


def test_a_case_that_is_not_closed_is_refused_with_a_clear_message(ready_family, supervisor):
    before = names(ready_family)

    response = api_as(supervisor).post(url(ready_family), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 409
    assert response.json()["code"] == "case_not_closed"
    assert f"Case {ready_family.reference} is not closed (it is Approved)" in response.json()["detail"]
    assert names(ready_family) == before and not ErasureCertificate.objects.exists()


def test_a_case_under_legal_hold_is_refused_in_the_callers_language(closed_family, supervisor):
    LegalHold.objects.create(case=closed_family, reason="Juicio pendiente", placed_by=supervisor)
    before = names(closed_family)

    response = api_as(supervisor).post(url(closed_family), HTTP_ACCEPT_LANGUAGE="es")

    assert response.status_code == 409
    assert response.json()["code"] == "legal_hold"
    assert "retención legal" in response.json()["detail"]
    assert names(closed_family) == before and Case.objects.get(pk=closed_family.pk).anonymised_at is None


def test_a_case_already_anonymised_is_refused_and_its_certificate_stays_the_only_one(closed_family, supervisor):
    api_as(supervisor).post(url(closed_family))

    response = api_as(supervisor).post(url(closed_family))

    assert response.status_code == 409 and response.json()["code"] == "already_anonymised"
    assert ErasureCertificate.objects.count() == 1


def test_a_dry_run_flag_that_means_nothing_is_a_400_naming_the_parameter(closed_family, supervisor):
    before = names(closed_family)

    response = api_as(supervisor).post(url(closed_family, "?dry_run=maybe"), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert response.json()["fields"]["dry_run"] == ["Use dry_run=1 for a dry run, or leave it out."]
    assert names(closed_family) == before


def test_an_unknown_case_is_not_found(supervisor):
    response = api_as(supervisor).post("/api/v1/cases/999999/anonymise/")

    assert response.status_code == 404 and response.json()["code"] == "not_found"
