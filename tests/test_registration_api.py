"""POST /api/v1/cases/ and its companions: consent first, validation, duplicates, idempotency, versions."""

import threading
from datetime import date, timedelta

import pytest
from django.db import connection

from cases.models import Case, Consent, DuplicateDecision, Member
from tests.conftest import api_as
from tests.factories import household

pytestmark = pytest.mark.django_db


def family(**overrides):
    body = {
        "programme": "CARAVAN-2018", "office": "TIJ", "destination_country": "HN", "how_heard": "shelter",
        "consent": {"type": "explicit"},
        "members": [
            {"given_names": "Ana Lucía", "family_names": "Cruz Mejía", "sex": "female", "date_of_birth": "1992-05-01",
             "nationality": "HN", "relationship": "principal", "document_type": "passport",
             "document_number": "F123456", "phone": "+504 3344-5566", "place_of_origin": "Choloma"},
            {"given_names": "Brayan", "family_names": "Cruz", "sex": "male", "date_of_birth": "2015-02-10",
             "nationality": "HN", "relationship": "child", "place_of_origin": "Choloma"},
            {"given_names": "Génesis", "family_names": "Cruz", "sex": "female", "estimated_age": 4,
             "nationality": "HN", "relationship": "child", "place_of_origin": "Choloma"},
        ],
    }
    return {**body, **overrides}


@pytest.fixture
def places(tij, tap, caravan):
    return tij


def test_a_household_is_registered_with_consent_and_a_reference(caseworker, places):
    response = api_as(caseworker).post("/api/v1/cases/", family(), format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["reference"].startswith(f"TIJ-{date.today().year}-")
    assert body["status"] == "registered"
    assert [m["is_unaccompanied_child"] for m in body["members"]] == [False, False, False]
    assert body["members"][2]["date_of_birth_estimated"] is True
    assert body["possible_duplicates"] == []
    consent = Consent.objects.get(case_id=body["id"])
    assert (consent.scope, consent.type, consent.recorded_by) == ("collection", "explicit", caseworker)


def test_the_office_defaults_to_the_caseworkers_booth(caseworker, places):
    response = api_as(caseworker).post("/api/v1/cases/", family(office=""), format="json")

    assert response.status_code == 201
    assert response.json()["office"] == "TIJ"


def test_no_consent_no_case(caseworker, places):
    response = api_as(caseworker).post("/api/v1/cases/", family(consent=None), format="json")

    assert response.status_code == 400
    assert "consent" in response.json()["fields"]
    assert not Case.objects.exists()


def test_a_consent_that_is_not_explicit_needs_a_reason(caseworker, places):
    response = api_as(caseworker).post("/api/v1/cases/", family(consent={"type": "proxy"}), format="json",
                                       HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert response.json()["fields"]["consent"] == {"reason": ["Say why the consent is not explicit."]}


@pytest.mark.parametrize("member_change, field", [
    ({"date_of_birth": (date.today() + timedelta(days=3)).isoformat()}, "date_of_birth"),
    ({"nationality": "ZZ"}, "nationality"),
    ({"document_number": "12"}, "document_number"),
    ({"document_number": "ÑÑ-∆∆∆∆"}, "document_number"),
    ({"phone": "call me"}, "phone"),
])
def test_bad_member_input_is_a_structured_400_next_to_the_field(caseworker, places, member_change, field):
    body = family()
    body["members"][0].update(member_change)

    response = api_as(caseworker).post("/api/v1/cases/", body, format="json", HTTP_ACCEPT_LANGUAGE="es")

    assert response.status_code == 400
    errors = response.json()["fields"]["members"]
    assert field in errors[0]
    assert errors[1] == {} and errors[2] == {}
    assert not Case.objects.exists()


def test_an_empty_household_is_refused(caseworker, places):
    response = api_as(caseworker).post("/api/v1/cases/", family(members=[]), format="json")

    assert response.status_code == 400
    assert "members" in response.json()["fields"]


def test_messages_come_in_spanish_for_spanish_callers(caseworker, places):
    body = family()
    body["members"][0]["nationality"] = "ZZ"

    response = api_as(caseworker).post("/api/v1/cases/", body, format="json", HTTP_ACCEPT_LANGUAGE="es")

    assert response.json()["fields"]["members"][0]["nationality"] == ["“ZZ” no es un código de país conocido."]


def test_an_unknown_programme_code_is_named(caseworker, places):
    response = api_as(caseworker).post("/api/v1/cases/", family(programme="NOPE"), format="json")

    assert response.status_code == 400
    assert "NOPE" in response.json()["fields"]["programme"][0]


def test_a_caseworker_cannot_register_at_another_booth(caseworker, places):
    response = api_as(caseworker).post("/api/v1/cases/", family(office="TAP"), format="json")

    assert response.status_code == 400
    assert "office" in response.json()["fields"]
    assert not Case.objects.exists()


@pytest.mark.parametrize("persona", ["supervisor", "reception", "movement_officer", "admin_user"])
def test_only_caseworkers_register(request, persona, places):
    response = api_as(request.getfixturevalue(persona)).post("/api/v1/cases/", family(), format="json")

    assert response.status_code in (400, 403)
    assert not Case.objects.exists()


def test_a_child_alone_is_an_unaccompanied_child(caseworker, places):
    body = family(members=[{"given_names": "Josué", "family_names": "Paz", "sex": "male", "date_of_birth": "2010-01-01",
                            "nationality": "HN", "relationship": "principal", "place_of_origin": "Tela"}])

    case = api_as(caseworker).post("/api/v1/cases/", body, format="json").json()

    assert case["members"][0]["is_unaccompanied_child"] is True
    assert case["has_unaccompanied_child"] is True
    listed = api_as(caseworker).get("/api/v1/cases/").json()["results"][0]
    assert listed["has_unaccompanied_child"] is True


def test_a_child_with_an_adult_who_is_not_a_parent_is_a_separated_child(caseworker, places):
    body = family(members=[
        {"given_names": "Marvin", "family_names": "Paz", "sex": "male", "date_of_birth": "1990-01-01",
         "nationality": "HN", "relationship": "principal", "place_of_origin": "Tela"},
        {"given_names": "Josué", "family_names": "Paz", "sex": "male", "date_of_birth": "2010-01-01",
         "nationality": "HN", "relationship": "sibling", "place_of_origin": "Tela"},
    ])

    case = api_as(caseworker).post("/api/v1/cases/", body, format="json").json()

    assert [(m["is_unaccompanied_child"], m["is_separated_child"]) for m in case["members"]] == [
        (False, False), (False, True)]


def test_the_same_person_at_another_booth_comes_back_as_a_possible_duplicate(caseworker, outsider, places):
    api_as(caseworker).post("/api/v1/cases/", family(), format="json")
    body = family(office="TAP")
    body["members"] = [{**body["members"][0], "given_names": "Ana Lucia", "family_names": "Mejia Cruz",
                        "document_number": "", "document_type": "", "phone": ""}]

    response = api_as(outsider).post("/api/v1/cases/", body, format="json")

    assert response.status_code == 201
    [candidate] = response.json()["possible_duplicates"]
    assert candidate["office"] == "TIJ" and candidate["reasons"] == ["name"]
    assert candidate["reference"] is None  # TAP may not open TIJ's case
    assert candidate["for_member"] == response.json()["members"][0]["id"]


def test_an_existing_document_number_is_refused_with_409_until_confirmed(caseworker, outsider, places):
    api_as(caseworker).post("/api/v1/cases/", family(), format="json")
    body = family(office="TAP")

    refused = api_as(outsider).post("/api/v1/cases/", body, format="json")
    confirmed = api_as(outsider).post("/api/v1/cases/", {**body, "confirm_duplicates": True}, format="json")

    assert refused.status_code == 409
    assert refused.json()["code"] == "duplicate_document"
    assert refused.json()["possible_duplicates"][0]["reasons"][0] == "document"
    assert confirmed.status_code == 201
    assert Case.objects.count() == 2


def test_a_retried_post_with_the_same_idempotency_key_returns_the_first_case(caseworker, places):
    client = api_as(caseworker)

    first = client.post("/api/v1/cases/", family(), format="json", HTTP_IDEMPOTENCY_KEY="tablet-7-0001")
    again = client.post("/api/v1/cases/", family(), format="json", HTTP_IDEMPOTENCY_KEY="tablet-7-0001")

    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert again["Idempotent-Replayed"] == "true"
    assert Case.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_one_key_create_one_case(caseworker, places):
    results = []

    def post():
        try:
            response = api_as(caseworker).post("/api/v1/cases/", family(), format="json",
                                               HTTP_IDEMPOTENCY_KEY="tablet-7-0002")
            results.append((response.status_code, response.json()["id"]))
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [status for status, _ in results] == [201] * 4
    assert len({case_id for _, case_id in results}) == 1
    assert Case.objects.count() == 1


def test_a_stale_edit_is_refused_and_nothing_is_overwritten(caseworker, supervisor, places):
    case = api_as(caseworker).post("/api/v1/cases/", family(), format="json").json()
    api_as(supervisor).patch(f"/api/v1/cases/{case['id']}/", {"version": case["version"],
                                                              "caseworker_notes": "Revisado."}, format="json")

    stale = api_as(caseworker).patch(f"/api/v1/cases/{case['id']}/", {"version": case["version"],
                                                                      "caseworker_notes": "Mi nota."}, format="json")
    stale_etag = api_as(caseworker).patch(f"/api/v1/cases/{case['id']}/", {"caseworker_notes": "Mi nota."},
                                          format="json", HTTP_IF_MATCH=f'"{case["version"]}"')

    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"
    assert stale_etag.status_code == 412
    assert Case.objects.get(pk=case["id"]).caseworker_notes == "Revisado."


def test_an_edit_with_the_current_version_saves_and_bumps_it(caseworker, places):
    client = api_as(caseworker)
    case = client.post("/api/v1/cases/", family(), format="json").json()
    etag = client.get(f"/api/v1/cases/{case['id']}/")["ETag"]

    response = client.patch(f"/api/v1/cases/{case['id']}/", {"destination_country": "SV"}, format="json",
                            HTTP_IF_MATCH=etag)

    assert response.status_code == 200
    assert response.json()["destination_country"] == "SV"
    assert response["ETag"] == f'"{case["version"] + 1}"'


def test_an_edit_without_a_version_is_refused(caseworker, places):
    case = api_as(caseworker).post("/api/v1/cases/", family(), format="json").json()

    response = api_as(caseworker).patch(f"/api/v1/cases/{case['id']}/", {"caseworker_notes": "x"}, format="json")

    assert response.status_code == 428


def test_a_member_is_added_and_the_household_flags_follow(caseworker, places):
    body = family(members=[{"given_names": "Josué", "family_names": "Paz", "sex": "male", "date_of_birth": "2010-01-01",
                            "nationality": "HN", "relationship": "principal", "place_of_origin": "Tela"}])
    case = api_as(caseworker).post("/api/v1/cases/", body, format="json").json()

    response = api_as(caseworker).post(f"/api/v1/cases/{case['id']}/members/", {
        "given_names": "Dora", "family_names": "Paz", "sex": "female", "date_of_birth": "1980-01-01",
        "nationality": "HN", "relationship": "parent", "place_of_origin": "Tela"}, format="json")

    assert response.status_code == 201
    refreshed = Case.objects.get(pk=case["id"])
    assert refreshed.has_unaccompanied_child is False
    assert refreshed.version == case["version"] + 1


def test_a_withdrawing_member_moves_to_a_case_of_their_own_and_both_keep_the_history(caseworker, places):
    case = api_as(caseworker).post("/api/v1/cases/", family(), format="json").json()
    child = case["members"][1]["id"]

    response = api_as(caseworker).post(f"/api/v1/cases/{case['id']}/members/{child}/split/",
                                       {"withdraw": True, "note": "Se queda con su padre en Tijuana."}, format="json")

    assert response.status_code == 201
    own = response.json()
    assert own["status"] == "withdrawn" and own["split_from"] == case["id"]
    assert [m["id"] for m in own["members"]] == [child]
    timeline = api_as(caseworker).get(f"/api/v1/cases/{own['id']}/events/").json()
    assert timeline[0]["to_status"] == "registered"  # the original household's history
    original = api_as(caseworker).get(f"/api/v1/cases/{case['id']}/").json()
    assert len(original["members"]) == 2 and original["status"] == "registered"


def test_a_duplicate_decision_is_recorded_and_not_asked_again(caseworker, outsider, places):
    api_as(caseworker).post("/api/v1/cases/", family(), format="json")
    body = family(office="TAP")
    body["members"] = [{**body["members"][0], "document_number": "", "document_type": "", "phone": ""}]
    created = api_as(outsider).post("/api/v1/cases/", body, format="json").json()
    [candidate] = created["possible_duplicates"]

    response = api_as(outsider).post(f"/api/v1/members/{candidate['for_member']}/duplicate-decisions/",
                                     {"candidate": candidate["member_id"], "decision": "same"}, format="json")

    assert response.status_code == 201
    member = Member.objects.get(pk=candidate["for_member"])
    assert member.same_person_as_id == candidate["member_id"]
    assert DuplicateDecision.objects.filter(member=member, decision="same").exists()
    from cases.selectors import possible_duplicates_for
    assert possible_duplicates_for(user=outsider, person=member, exclude_case_id=member.case_id) == []


@pytest.mark.parametrize("endpoint", ["members", "split", "patch", "decision", "events", "transitions"])
def test_another_office_gets_404_on_every_registration_endpoint_and_nothing_changes(
        caseworker, outsider, caravan, tij, tap, endpoint):
    case = household(actor=caseworker, programme=caravan, office=tij)
    member = case.members.first()
    client = api_as(outsider)
    before = (case.version, Member.objects.count(), Case.objects.count())

    response = {
        "members": lambda: client.post(f"/api/v1/cases/{case.pk}/members/", {"given_names": "X"}, format="json"),
        "split": lambda: client.post(f"/api/v1/cases/{case.pk}/members/{member.pk}/split/", {"note": "x"},
                                     format="json"),
        "patch": lambda: client.patch(f"/api/v1/cases/{case.pk}/", {"version": case.version,
                                                                   "caseworker_notes": "x"}, format="json"),
        "decision": lambda: client.post(f"/api/v1/members/{member.pk}/duplicate-decisions/",
                                        {"candidate": member.pk, "decision": "same"}, format="json"),
        "events": lambda: client.get(f"/api/v1/cases/{case.pk}/events/"),
        "transitions": lambda: client.post(f"/api/v1/cases/{case.pk}/transitions/", {"to": "screening"},
                                           format="json"),
    }[endpoint]()

    assert response.status_code == 404
    case.refresh_from_db()
    assert (case.version, Member.objects.count(), Case.objects.count()) == before


def test_a_quick_registration_is_incomplete_until_its_members_are_completed(caseworker, places):
    body = family(quick=True, how_heard="")
    for member in body["members"]:
        member["place_of_origin"] = ""
    client = api_as(caseworker)
    case = client.post("/api/v1/cases/", body, format="json").json()
    assert case["is_incomplete"] is True

    version = case["version"]
    version = client.patch(f"/api/v1/cases/{case['id']}/", {"version": version, "how_heard": "shelter"},
                           format="json").json()["version"]
    for member in case["members"]:
        response = client.patch(f"/api/v1/members/{member['id']}/", {"version": version, "place_of_origin": "Tela"},
                                format="json")
        assert response.status_code == 200, response.json()
        version = int(response["ETag"].strip('"'))

    refreshed = client.get(f"/api/v1/cases/{case['id']}/").json()
    assert refreshed["is_incomplete"] is False
    assert refreshed["members"][2]["date_of_birth_estimated"] is True  # an estimated age stays estimated


def test_a_stale_member_edit_is_refused(caseworker, places):
    client = api_as(caseworker)
    case = client.post("/api/v1/cases/", family(), format="json").json()
    member = case["members"][0]["id"]
    client.patch(f"/api/v1/cases/{case['id']}/", {"version": case["version"], "caseworker_notes": "x"}, format="json")

    response = client.patch(f"/api/v1/members/{member}/", {"version": case["version"], "phone": "+504 1111-2222"},
                            format="json")

    assert response.status_code == 409
    assert Member.objects.get(pk=member).phone == "+504 3344-5566"


def test_a_member_edit_is_validated_like_registration(caseworker, places):
    client = api_as(caseworker)
    case = client.post("/api/v1/cases/", family(), format="json").json()

    response = client.patch(f"/api/v1/members/{case['members'][0]['id']}/",
                            {"version": case["version"], "date_of_birth": "2999-01-01"}, format="json")

    assert response.status_code == 400
    assert "date_of_birth" in response.json()["fields"]
