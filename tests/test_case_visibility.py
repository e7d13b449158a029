"""The one visibility rule, as a matrix: each role x own / other scope x list / detail, API and browser."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from cases.choices import CaseStatus
from tests.conftest import api_as
from tests.factories import household

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(caseworker, outsider, caravan, nicaragua, tij, tap, tum, sps, la_chacra):
    """One case per situation the roles disagree about."""
    return {
        "tij_registered": household(actor=caseworker, programme=caravan, office=tij),
        "tap_registered": household(actor=outsider, programme=caravan, office=tap),
        "tij_approved": household(actor=caseworker, programme=caravan, office=tij, status=CaseStatus.APPROVED),
        "tij_booked_sps": household(actor=caseworker, programme=caravan, office=tij, status=CaseStatus.BOOKED,
                                    reception_centre=sps),
        "tij_booked_ss": household(actor=caseworker, programme=caravan, office=tij, status=CaseStatus.BOOKED,
                                   reception_centre=la_chacra, destination="SV"),
        "tij_nicaragua": household(actor=caseworker, programme=nicaragua, office=tij, destination="NI"),
    }


# persona -> the cases it must see; every other case must answer 404.
MATRIX = {
    "caseworker": {"tij_registered", "tij_approved", "tij_booked_sps", "tij_booked_ss", "tij_nicaragua"},
    "outsider": {"tap_registered"},
    "supervisor": {"tij_registered", "tap_registered", "tij_approved", "tij_booked_sps", "tij_booked_ss"},
    "other_supervisor": {"tij_nicaragua"},
    "movement_officer": {"tij_approved", "tij_booked_sps", "tij_booked_ss"},
    "reception": {"tij_booked_sps"},
    "other_reception": {"tij_booked_ss"},
    "admin_user": set(),
}


@pytest.mark.smoke
@pytest.mark.parametrize("persona", MATRIX)
def test_the_api_list_shows_exactly_the_cases_in_the_personas_scope(request, persona, cases):
    user = request.getfixturevalue(persona)

    response = api_as(user).get("/api/v1/cases/")

    assert response.status_code == 200
    listed = {item["reference"] for item in response.json()["results"]}
    assert listed == {cases[name].reference for name in MATRIX[persona]}


@pytest.mark.parametrize("persona", MATRIX)
@pytest.mark.parametrize("case_name", ["tij_registered", "tap_registered", "tij_approved", "tij_booked_sps",
                                       "tij_booked_ss", "tij_nicaragua"])
def test_the_api_detail_answers_404_outside_the_personas_scope(request, persona, case_name, cases):
    user = request.getfixturevalue(persona)
    case = cases[case_name]
    before = case.updated_at

    response = api_as(user).get(f"/api/v1/cases/{case.pk}/")

    expected = 200 if case_name in MATRIX[persona] else 404
    assert response.status_code == expected
    if expected == 404:
        assert response.json()["code"] == "not_found"
        assert not AuditEvent.objects.filter(action="view", object_id=str(case.pk)).exists()
    case.refresh_from_db()
    assert case.updated_at == before


@pytest.mark.parametrize("persona", MATRIX)
def test_the_case_pages_follow_the_same_rule_in_the_browser(request, client, persona, cases):
    user = request.getfixturevalue(persona)
    client.force_login(user)

    listing = client.get(reverse("case_list")).content.decode()
    for name, case in cases.items():
        detail = client.get(reverse("case_detail", args=[case.pk]))
        visible = name in MATRIX[persona]
        assert detail.status_code == (200 if visible else 404), name
        assert (case.reference in listing) == visible, name


def test_a_case_shared_with_a_team_is_visible_to_its_members_only(cases, outsider, supervisor):
    from django.contrib.auth.models import Group

    from cases.services import case_share_with_team

    team = Group.objects.create(name="team:protection-tap")
    outsider.groups.add(team)
    case = cases["tij_registered"]

    case_share_with_team(actor=supervisor, case=case, team=team)

    assert api_as(outsider).get(f"/api/v1/cases/{case.pk}/").status_code == 200
    listed = {c["reference"] for c in api_as(outsider).get("/api/v1/cases/").json()["results"]}
    assert case.reference in listed


def test_a_caseworker_cannot_share_a_case(cases, caseworker, outsider):
    from django.contrib.auth.models import Group
    from django.core.exceptions import PermissionDenied

    from cases.services import case_share_with_team

    team = Group.objects.create(name="team:x")
    outsider.groups.add(team)

    with pytest.raises(PermissionDenied):
        case_share_with_team(actor=caseworker, case=cases["tap_registered"], team=team)

    assert api_as(outsider).get(f"/api/v1/cases/{cases['tij_registered'].pk}/").status_code == 404


def test_reception_staff_never_receive_caseworker_notes(cases, reception, caseworker):
    case = cases["tij_booked_sps"]

    seen_by_reception = api_as(reception).get(f"/api/v1/cases/{case.pk}/").json()
    seen_by_caseworker = api_as(caseworker).get(f"/api/v1/cases/{case.pk}/").json()

    assert "caseworker_notes" not in seen_by_reception
    assert seen_by_caseworker["caseworker_notes"] == "Tiene miedo de regresar a su colonia."
    assert seen_by_reception["members"][0]["family_names"] == "Hernández López"
    assert "needs_medical_attention" in seen_by_reception["members"][0]


def test_reception_staff_do_not_see_caseworker_notes_on_the_case_page(client, cases, reception):
    client.force_login(reception)

    page = client.get(reverse("case_detail", args=[cases["tij_booked_sps"].pk])).content.decode()

    assert "Tiene miedo de regresar" not in page
    assert 'data-testid="case-notes"' not in page


def test_a_superuser_gets_no_personal_data_by_default(cases, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.org", "x-very-long-password")

    assert api_as(root).get("/api/v1/cases/").json()["results"] == []
    assert api_as(root).get(f"/api/v1/cases/{cases['tij_registered'].pk}/").status_code == 404


def test_an_inactive_user_sees_nothing(cases, caseworker):
    caseworker.is_active = False
    caseworker.save()

    assert api_as(caseworker).get(f"/api/v1/cases/{cases['tij_registered'].pk}/").status_code in (401, 403, 404)
