"""Duplicate detection: the same person registered at two booths is caught, different people are not."""

from datetime import date

import pytest

from cases.dedup import family_initials, name_key, phone_key
from cases.registration import MemberInput
from cases.selectors import possible_duplicates_for
from tests.factories import household

pytestmark = pytest.mark.django_db


def person(**overrides):
    data = {"given_names": "María José", "family_names": "Hernández López", "sex": "female",
            "date_of_birth": date(1990, 3, 14), "nationality": "HN", "document_number": "", "phone": "",
            "place_of_origin": "Choloma"}
    return MemberInput(**{**data, **overrides})


@pytest.fixture
def registered_at_tij(caseworker, caravan, tij):
    return household(actor=caseworker, programme=caravan, office=tij,
                     people=[person(document_type="passport", document_number="HN-0001234", phone="+504 9988-7766")])


def test_names_meet_whatever_the_accents_case_and_order_of_family_names():
    assert name_key("María José", "Hernández López") == name_key("MARIA JOSE", "lopez hernandez")
    assert family_initials("Hernández López") == family_initials("López Hernández")
    assert name_key("José", "de la Cruz") == name_key("Jose", "Cruz")


def test_phones_meet_with_or_without_the_country_prefix():
    assert phone_key("+504 9988-7766") == phone_key("99887766") == "99887766"
    assert phone_key("123") == ""


def test_the_same_person_registered_at_another_booth_is_caught_by_name(outsider, registered_at_tij):
    found = possible_duplicates_for(user=outsider, person=person(given_names="Maria Jose",
                                                                 family_names="Lopez Hernandes"))

    assert len(found) == 1
    assert found[0]["office"] == "TIJ"
    assert found[0]["reasons"] == ["name"]
    assert found[0]["birth_year"] == 1990


def test_another_offices_candidate_shows_enough_to_decide_and_no_more(outsider, registered_at_tij):
    found = possible_duplicates_for(user=outsider, person=person())[0]

    assert set(found) == {"member_id", "case_id", "name", "birth_year", "office", "status", "status_label",
                          "reference", "reasons", "score"}
    assert found["reference"] is None  # the outsider may not open that case


@pytest.mark.parametrize("shared_with", ["user", "team"])
def test_a_candidate_in_a_case_shared_with_the_user_shows_its_reference(outsider, registered_at_tij, shared_with):
    from django.contrib.auth.models import Group
    from guardian.shortcuts import assign_perm

    if shared_with == "user":
        assign_perm("cases.view_case", outsider, registered_at_tij)
    else:
        team = Group.objects.create(name="team:dedup")
        outsider.groups.add(team)
        assign_perm("cases.view_case", team, registered_at_tij)

    assert possible_duplicates_for(user=outsider, person=person())[0]["reference"] == registered_at_tij.reference


def test_the_same_document_number_is_caught_whatever_the_name(outsider, registered_at_tij):
    found = possible_duplicates_for(user=outsider, person=person(given_names="Otro", family_names="Nombre",
                                                                 date_of_birth=date(1970, 1, 1),
                                                                 document_number="hn0001234"))

    assert found[0]["reasons"] == ["document"]


def test_the_same_phone_is_caught(outsider, registered_at_tij):
    found = possible_duplicates_for(user=outsider, person=person(given_names="Pedro", family_names="Suazo",
                                                                 phone="99887766"))

    assert found[0]["reasons"] == ["phone"]


@pytest.mark.parametrize("different", [
    {"date_of_birth": date(1985, 3, 14)},
    {"nationality": "SV"},
    {"given_names": "Karla Patricia"},
])
def test_a_different_person_is_not_proposed(outsider, registered_at_tij, different):
    assert possible_duplicates_for(user=outsider, person=person(**different)) == []


def test_a_birth_date_within_a_year_still_matches(outsider, registered_at_tij):
    found = possible_duplicates_for(user=outsider, person=person(date_of_birth=date(1990, 12, 1)))

    assert [f["reasons"] for f in found] == [["name"]]
