"""The case page: edits that never overwrite someone else's, a member leaving the household, child flags."""

from datetime import date

import pytest
from django.urls import reverse

from cases.models import Case
from cases.registration import MemberInput
from tests.factories import household

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(caseworker, caravan, tij):
    return household(actor=caseworker, programme=caravan, office=tij, people=[
        MemberInput(given_names="Marvin", family_names="Paz", sex="male", date_of_birth=date(1990, 1, 1),
                    nationality="HN", place_of_origin="Tela"),
        MemberInput(given_names="Josué", family_names="Paz", sex="male", date_of_birth=date(2012, 1, 1),
                    nationality="HN", relationship="sibling", place_of_origin="Tela"),
    ])


def edit(client, case, version, notes):
    return client.post(reverse("case_edit", args=[case.pk]), {
        "version": version, "destination_country": "HN", "how_heard": "shelter",
        "intake_date": case.intake_date.isoformat(), "caseworker_notes": notes}, follow=True)


def test_an_edit_with_the_version_seen_saves(client, caseworker, case):
    client.force_login(caseworker)

    response = edit(client, case, case.version, "Llamó su hermana.")

    assert response.status_code == 200
    assert Case.objects.get(pk=case.pk).caseworker_notes == "Llamó su hermana."


def test_a_stale_edit_in_the_browser_is_explained_and_keeps_the_users_text(client, caseworker, supervisor, case):
    client.force_login(supervisor)
    edit(client, case, case.version, "Revisado por supervisión.")
    client.force_login(caseworker)

    response = edit(client, case, case.version, "Mi nota.")

    page = response.content.decode()
    assert "alert-danger" in page and "Mi nota." in page
    assert Case.objects.get(pk=case.pk).caseworker_notes == "Revisado por supervisión."


def test_the_case_page_shows_the_separated_child(client, caseworker, case):
    client.force_login(caseworker)

    page = client.get(reverse("case_detail", args=[case.pk])).content.decode()

    assert "separated-child-badge" in page


def test_a_member_leaves_the_household_from_the_case_page(client, caseworker, case):
    client.force_login(caseworker)
    child = case.members.get(given_names="Josué")

    response = client.post(reverse("member_split", args=[case.pk, child.pk]),
                           {"note": "Se queda con su tía.", "withdraw": "1"}, follow=True)

    assert response.status_code == 200
    child.refresh_from_db()
    assert child.case_id != case.pk
    assert child.case.status == "withdrawn" and child.case.split_from_id == case.pk


def test_another_office_cannot_edit_or_split(client, outsider, case):
    client.force_login(outsider)
    child = case.members.get(given_names="Josué")

    assert client.get(reverse("case_edit", args=[case.pk])).status_code == 404
    client.post(reverse("member_split", args=[case.pk, child.pk]), {"note": "x"})

    child.refresh_from_db()
    assert child.case_id == case.pk


def test_a_member_is_corrected_from_the_case_page(client, caseworker, case):
    client.force_login(caseworker)
    member = case.members.get(given_names="Marvin")
    page = client.get(reverse("member_edit", args=[case.pk, member.pk]))
    assert page.status_code == 200

    response = client.post(reverse("member_edit", args=[case.pk, member.pk]), {
        "version": case.version, "given_names": "Marvin Josué", "family_names": "Paz", "sex": "male",
        "relationship": "principal", "nationality": "HN", "date_of_birth": "1990-01-01", "place_of_origin": "Tela"})

    assert response.status_code == 302
    member.refresh_from_db()
    assert member.given_names == "Marvin Josué"
