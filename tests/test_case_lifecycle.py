"""The lifecycle wired so far: registered -> screening, and withdrawal before departure."""

import pytest
from django.urls import reverse

from cases.choices import CaseStatus
from cases.models import CaseEvent
from tests.conftest import api_as
from tests.factories import household

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(caseworker, caravan, tij):
    return household(actor=caseworker, programme=caravan, office=tij)


def transition(user, case, to, note=""):
    return api_as(user).post(f"/api/v1/cases/{case.pk}/transitions/", {"to": to, "note": note}, format="json")


def test_a_caseworker_starts_screening_and_the_event_says_who_from_and_to(caseworker, case):
    response = transition(caseworker, case, "screening")

    assert response.status_code == 200
    assert response.json()["status"] == "screening"
    event = CaseEvent.objects.filter(case=case).latest("id")
    assert (event.actor, event.from_status, event.to_status) == (caseworker, "registered", "screening")


def test_a_move_the_lifecycle_does_not_allow_answers_409_with_both_names(caseworker, case):
    response = transition(caseworker, case, "arrived")

    assert response.status_code == 409
    body = response.json()
    assert (body["code"], body["from"], body["to"]) == ("invalid_transition", "registered", "arrived")
    case.refresh_from_db()
    assert case.status == "registered"
    assert list(CaseEvent.objects.filter(case=case).values_list("to_status", flat=True)) == ["registered"]


def test_withdrawal_needs_a_reason(caseworker, case):
    response = transition(caseworker, case, "withdrawn")

    assert response.status_code == 400
    assert "note" in response.json()["fields"]
    case.refresh_from_db()
    assert case.status == "registered"


@pytest.mark.parametrize("status", ["registered", "screening", "approved", "booked", "on_hold", "no_show"])
def test_a_household_may_withdraw_at_any_time_before_departure(caseworker, caravan, tij, status):
    case = household(actor=caseworker, programme=caravan, office=tij, status=status)

    response = transition(caseworker, case, "withdrawn", note="Decidió quedarse con su familia en Tijuana.")

    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"


@pytest.mark.parametrize("status", ["in_transit", "arrived", "closed", "referred_out"])
def test_no_withdrawal_once_the_household_is_on_its_way(caseworker, supervisor, caravan, tij, status):
    case = household(actor=caseworker, programme=caravan, office=tij, status=status)

    response = transition(supervisor, case, "withdrawn", note="x")

    assert response.status_code == 409


@pytest.mark.parametrize("persona, expected", [
    ("caseworker", 200), ("supervisor", 200), ("outsider", 404), ("reception", 404), ("admin_user", 404),
])
def test_who_may_start_screening(request, case, persona, expected):
    user = request.getfixturevalue(persona)

    response = transition(user, case, "screening")

    assert response.status_code == expected
    case.refresh_from_db()
    assert case.status == ("screening" if expected == 200 else "registered")


def test_a_movement_officer_who_sees_the_case_may_not_withdraw_it(movement_officer, caseworker, caravan, tij):
    case = household(actor=caseworker, programme=caravan, office=tij, status=CaseStatus.APPROVED)

    response = transition(movement_officer, case, "withdrawn", note="x")

    assert response.status_code == 403
    case.refresh_from_db()
    assert case.status == "approved"


def test_the_events_endpoint_is_the_timeline(caseworker, case):
    transition(caseworker, case, "screening")
    transition(caseworker, case, "withdrawn", note="Ya no desea regresar.")

    events = api_as(caseworker).get(f"/api/v1/cases/{case.pk}/events/").json()

    assert [(e["from_status"], e["to_status"]) for e in events] == [("", "registered"), ("registered", "screening"),
                                                                     ("screening", "withdrawn")]
    assert events[2]["note"] == "Ya no desea regresar."
    assert events[2]["actor"] == "cw_tij"


def test_the_events_of_another_offices_case_answer_404(outsider, case):
    assert api_as(outsider).get(f"/api/v1/cases/{case.pk}/events/").status_code == 404


def test_the_case_page_offers_the_next_steps_and_shows_the_timeline(client, caseworker, case):
    client.force_login(caseworker)

    page = client.get(reverse("case_detail", args=[case.pk])).content.decode()
    assert 'data-to="screening"' in page and 'data-to="withdrawn"' in page

    response = client.post(reverse("case_transition", args=[case.pk]), {"to": "screening"}, follow=True)

    assert response.status_code == 200
    case.refresh_from_db()
    assert case.status == "screening"
    assert "data-testid=\"timeline\"" in response.content.decode()


def test_a_refused_step_in_the_browser_is_explained_not_a_500(client, caseworker, case):
    client.force_login(caseworker)

    response = client.post(reverse("case_transition", args=[case.pk]), {"to": "withdrawn", "note": " ",
                                                                    "confirmed": "1"}, follow=True)

    assert response.status_code == 200
    assert "alert-danger" in response.content.decode()
    case.refresh_from_db()
    assert case.status == "registered"


def family_of_three(caseworker, caravan, tij):
    from tests.screening_steps import family

    return family(actor=caseworker, programme=caravan, office=tij)


def test_another_member_becomes_principal_and_the_former_one_can_then_leave(caseworker, caravan, tij):
    case = family_of_three(caseworker, caravan, tij)
    by_name = {m.given_names: m for m in case.members.all()}
    ana, jorge, kevin = by_name["Ana Lucía"], by_name["Jorge"], by_name["Kevin"]
    url = f"/api/v1/cases/{case.pk}/principal/"

    refused = api_as(caseworker).post(url, {"member": jorge.pk, "relationships": {str(ana.pk): "spouse"},
                                            "version": case.version}, format="json")
    changed = api_as(caseworker).post(url, {"member": jorge.pk, "version": case.version,
                                            "relationships": {str(ana.pk): "spouse", str(kevin.pk): "child"}},
                                      format="json")
    stale = api_as(caseworker).post(url, {"member": ana.pk, "version": case.version,
                                          "relationships": {str(jorge.pk): "spouse", str(kevin.pk): "child"}},
                                    format="json")

    assert refused.status_code == 400 and f"relationship_{kevin.pk}" in refused.json()["fields"]
    assert changed.status_code == 200
    assert stale.status_code == 409
    relationships = dict(case.members.values_list("given_names", "relationship"))
    assert relationships == {"Ana Lucía": "spouse", "Jorge": "principal", "Kevin": "child"}
    assert "Jorge Mejía Cruz" in case.events.latest("id").note
    split = api_as(caseworker).post(f"/api/v1/cases/{case.pk}/members/{ana.pk}/split/",
                                    {"note": "Se queda en México"}, format="json")
    assert split.status_code == 201


def test_the_principal_is_changed_from_the_case_page(client, caseworker, caravan, tij):
    case = family_of_three(caseworker, caravan, tij)
    by_name = {m.given_names: m for m in case.members.all()}
    client.force_login(caseworker)

    bad = client.post(f"/cases/{case.pk}/principal/", {"version": case.version, "principal": by_name["Jorge"].pk})
    good = client.post(f"/cases/{case.pk}/principal/", {
        "version": case.version, "principal": by_name["Jorge"].pk,
        f"relationship_{by_name['Ana Lucía'].pk}": "spouse", f"relationship_{by_name['Kevin'].pk}": "child"})

    assert bad.status_code == 200 and "is-invalid" in bad.content.decode()
    assert good.status_code == 302
    assert case.members.get(relationship="principal").given_names == "Jorge"


def test_an_outsider_cannot_change_the_principal(outsider, caseworker, caravan, tij):
    case = family_of_three(caseworker, caravan, tij)
    jorge = case.members.get(given_names="Jorge")

    response = api_as(outsider).post(f"/api/v1/cases/{case.pk}/principal/", {
        "member": jorge.pk, "version": case.version, "relationships": {}}, format="json")

    assert response.status_code == 404
    assert case.members.get(relationship="principal").given_names == "Ana Lucía"
