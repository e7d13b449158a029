"""Registering a household in the browser, and reviewing its possible duplicates: the pages call the services."""

import html
import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import translation

from cases.choices import DuplicateDecisionKind
from cases.forms import html_pattern
from cases.models import Case, Consent, DuplicateDecision, Member
from cases.registration import DOCUMENT_NUMBER, MemberInput
from tests.factories import household

pytestmark = pytest.mark.django_db

REGISTER = reverse("case_register")
PRINCIPAL = {"given_names": "María José", "family_names": "Hernández López", "sex": "female",
             "relationship": "principal", "date_of_birth": "1990-03-14", "nationality": "HN",
             "document_type": "passport", "document_number": "HN0009911", "document_issuing_country": "HN",
             "phone": "+504 9988-7766", "country_of_residence": "HN", "languages": "español",
             "place_of_origin": "San Pedro Sula", "intended_destination": "Choloma"}
SON = {"given_names": "Kevin Alexander", "family_names": "Hernández", "sex": "male", "relationship": "child",
       "date_of_birth": "2012-07-02", "nationality": "HN", "place_of_origin": "San Pedro Sula"}
DAUGHTER = {"given_names": "Daniela", "family_names": "Hernández", "sex": "female", "relationship": "child",
            "estimated_age": "2", "nationality": "HN", "place_of_origin": "San Pedro Sula"}


def registration(programme, office, members, **case) -> dict:
    """The POST of the household form, as the browser sends it."""
    data = {"consent_type": "explicit", "consent_reason": "", "consent_date": "2018-11-20",
            "programme": programme.pk, "office": office.pk, "destination_country": "HN",
            "how_heard": "booth_outreach", "intake_date": "2018-11-20", "caseworker_notes": "Viaja con sus hijos.",
            "members-TOTAL_FORMS": len(members), "members-INITIAL_FORMS": 1,
            "members-MIN_NUM_FORMS": 0, "members-MAX_NUM_FORMS": 1000}
    for index, member in enumerate(members):
        data.update({f"members-{index}-{name}": value for name, value in member.items()})
    return {**data, **case}


def spanish(message: str) -> str:
    with translation.override("es"):
        return translation.gettext(message)


def feedback(page: str, field_id: str) -> list[str]:
    """The error messages shown next to the field with this id."""
    found = re.search(rf'id="{re.escape(field_id)}_error"[^>]*>((?:<div>.*?</div>)+)</div>', page, re.S)
    return [html.unescape(m) for m in re.findall(r"<div>(.*?)</div>", found.group(1))] if found else []


def widget(page: str, field_id: str) -> str:
    found = re.search(rf'<(?:input|select|textarea)[^>]*id="{re.escape(field_id)}"[^>]*>', page)
    assert found, field_id
    return found.group(0)


def selected(page: str, field_id: str) -> list[str]:
    """The values chosen in the select with this id."""
    found = re.search(rf'<select[^>]*id="{re.escape(field_id)}"[^>]*>(.*?)</select>', page, re.S)
    assert found, field_id
    return re.findall(r'<option value="([^"]*)" selected>', found.group(1))


@pytest.fixture
def signed_in(client, caseworker):
    client.force_login(caseworker)
    return client


def test_the_form_opens_with_the_booth_programme_and_today_filled_in(signed_in, caravan, tij):
    page = signed_in.get(REGISTER).content.decode()

    assert 'lang="es"' in page
    assert selected(page, "id_office") == [str(tij.pk)]
    assert selected(page, "id_programme") == [str(caravan.pk)]
    assert f'value="{date.today():%Y-%m-%d}"' in widget(page, "id_intake_date")
    assert selected(page, "id_members-0-relationship") == ["principal"]
    assert 'name="members-TOTAL_FORMS" value="1"' in page
    assert "members-__prefix__-given_names" in page  # the empty row the add button clones


def test_the_programme_is_left_to_choose_when_several_register_in_the_booths_country(signed_in, caravan, nicaragua,
                                                                                      tij):
    page = signed_in.get(REGISTER).content.decode()

    assert selected(page, "id_programme") == [""]


def test_a_full_registration_creates_the_household_with_its_consent(signed_in, caseworker, caravan, tij):
    response = signed_in.post(REGISTER, registration(caravan, tij, [PRINCIPAL, SON, DAUGHTER]), follow=True)

    case = Case.objects.get()
    assert response.redirect_chain[-1][0] == reverse("case_detail", args=[case.pk])
    assert case.reference.startswith("TIJ-2018-")
    assert case.reference in response.content.decode()
    assert (case.registering_office, case.programme, case.destination_country) == (tij, caravan, "HN")
    assert case.is_incomplete is False
    assert case.assigned_caseworker == caseworker
    members = list(case.members.order_by("id"))
    assert [m.given_names for m in members] == ["María José", "Kevin Alexander", "Daniela"]
    assert members[0].document_number == "HN0009911"
    assert members[2].date_of_birth_estimated is True
    assert not any(m.is_unaccompanied_child or m.is_separated_child for m in members)
    consent = Consent.objects.get(case=case)
    assert (consent.scope, consent.type, consent.given_on, consent.recorded_by) == (
        "collection", "explicit", date(2018, 11, 20), caseworker)


@pytest.mark.parametrize(("people", "flags"), [
    ([{**SON, "relationship": "principal"}, {**DAUGHTER, "relationship": "sibling"}],
     [(True, False), (True, False)]),
    ([{**PRINCIPAL, "relationship": "principal"}, {**SON, "relationship": "other"}],
     [(False, False), (False, True)]),
], ids=["children alone are unaccompanied", "a child with an aunt is separated"])
def test_children_are_flagged_from_the_household_never_typed(signed_in, caravan, tij, people, flags):
    signed_in.post(REGISTER, registration(caravan, tij, people, **{"members-0-is_unaccompanied_child": "on"}))

    case = Case.objects.get()
    assert [(m.is_unaccompanied_child, m.is_separated_child) for m in case.members.order_by("id")] == flags
    assert case.has_unaccompanied_child == any(f[0] for f in flags)
    assert case.has_separated_child == any(f[1] for f in flags)


def in_future() -> str:
    return f"{date.today() + timedelta(days=3):%Y-%m-%d}"


BAD_INPUT = {
    "future birth date": ({"members-1-date_of_birth": in_future()}, "id_members-1-date_of_birth",
                          "The date of birth cannot be in the future."),
    "unknown nationality": ({"members-0-nationality": "ZZ"}, "id_members-0-nationality",
                            "“ZZ” no es un código de país conocido."),
    "malformed document number": ({"members-0-document_number": "12"}, "id_members-0-document_number",
                                  "A document number has 5 to 26 letters and digits (spaces and hyphens allowed "
                                  "inside)."),
    "missing consent reason": ({"consent_type": "proxy", "consent_reason": " "}, "id_consent_reason",
                               "Say why the consent is not explicit."),
    "missing family names": ({"members-1-family_names": ""}, "id_members-1-family_names",
                             "This field is required."),
}


@pytest.mark.parametrize(("change", "field_id", "message"), BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input_is_shown_next_to_its_field_in_spanish_and_nothing_is_saved(signed_in, caravan, tij, change,
                                                                              field_id, message):
    response = signed_in.post(REGISTER, registration(caravan, tij, [PRINCIPAL, SON], **change))

    page = response.content.decode()
    assert response.status_code == 200
    assert 'lang="es"' in page
    assert feedback(page, field_id) == [spanish(message)]
    assert "is-invalid" in widget(page, field_id)
    assert 'data-testid="form-errors"' in page
    assert not Case.objects.exists() and not Member.objects.exists()
    # and what was typed is still there
    assert 'value="María José"' in widget(page, "id_members-0-given_names")
    assert 'value="Kevin Alexander"' in widget(page, "id_members-1-given_names")
    assert "Viaja con sus hijos." in page
    for name, value in change.items():
        if value.strip() and not name.endswith("nationality"):
            assert html.escape(value) in page


def test_an_empty_household_is_refused_with_a_message_above_the_members(signed_in, caravan, tij):
    response = signed_in.post(REGISTER, registration(caravan, tij, [{"relationship": "", "nationality": ""}]))

    page = response.content.decode()
    household_errors = re.search(r'data-testid="household-errors">(.*?)</div>\s*</div>', page, re.S).group(1)
    assert spanish("A household needs at least one member.") in html.unescape(household_errors)
    assert not Case.objects.exists()


def test_every_problem_is_shown_at_once_even_with_a_date_that_does_not_parse(signed_in, caravan, tij):
    response = signed_in.post(REGISTER, registration(caravan, tij, [PRINCIPAL], intake_date="20/11/2018x",
                                                     **{"members-0-nationality": "ZZ"}))

    page = response.content.decode()
    assert feedback(page, "id_intake_date")  # the form's own parse error
    assert feedback(page, "id_members-0-nationality") == ["“ZZ” no es un código de país conocido."]
    assert not Case.objects.exists()


def test_quick_mode_registers_the_minimum_and_leaves_the_case_incomplete(signed_in, caravan, tij):
    minimum = {"given_names": "Wilmer", "family_names": "Pineda Cruz", "sex": "male", "relationship": "principal",
               "estimated_age": "25", "nationality": "HN"}

    refused = signed_in.post(REGISTER, registration(caravan, tij, [minimum], how_heard=""))
    assert feedback(refused.content.decode(), "id_members-0-place_of_origin") == [spanish("This field is required.")]
    assert not Case.objects.exists()

    signed_in.post(REGISTER, registration(caravan, tij, [minimum], how_heard="", quick="on"))

    case = Case.objects.get()
    assert case.is_incomplete is True
    assert case.members.get().place_of_origin == ""


def test_a_known_document_number_stops_the_registration_until_the_caseworker_confirms(signed_in, caseworker,
                                                                                       outsider, caravan, tij, tap):
    earlier = household(actor=outsider, programme=caravan, office=tap,
                        people=[MemberInput(given_names="Otra", family_names="Persona", sex="female",
                                            date_of_birth=date(1980, 1, 1), nationality="HN",
                                            document_type="passport", document_number="HN0009911",
                                            place_of_origin="Omoa")])

    shown = signed_in.post(REGISTER, registration(caravan, tij, [PRINCIPAL, SON]))

    page = shown.content.decode()
    assert shown.status_code == 200
    assert 'data-testid="duplicate-documents"' in page
    assert "Otra Persona" in page and 'data-testid="candidate-office">TAP<' in page
    assert earlier.reference not in page  # the caseworker may not open another booth's case
    assert 'name="confirm_duplicates"' in page
    assert Case.objects.count() == 1

    confirmed = signed_in.post(REGISTER, registration(caravan, tij, [PRINCIPAL, SON], confirm_duplicates="on"))

    case = Case.objects.exclude(pk=earlier.pk).get()
    assert confirmed.url == reverse("case_duplicates", args=[case.pk])


def test_a_retried_post_registers_one_case(signed_in, caravan, tij):
    data = registration(caravan, tij, [PRINCIPAL], idempotency_key="tablet-retry-1")

    first = signed_in.post(REGISTER, data)
    second = signed_in.post(REGISTER, data)

    case = Case.objects.get()
    assert first.url == reverse("case_detail", args=[case.pk])
    assert second.url == reverse("case_duplicates", args=[case.pk])


def test_the_document_number_hint_uses_the_services_pattern():
    pattern = html_pattern(DOCUMENT_NUMBER)
    for number in ["HN0001234", "A1B2C", "0801-1990-12345", "AB 12345", "12", "-ABCDE", "ABCDE-", "AB_1234",
                   "X" * 26, "X" * 27]:
        assert bool(re.fullmatch(pattern, number)) == bool(DOCUMENT_NUMBER.match(number)), number


def test_the_page_shows_the_pattern_and_the_limit_of_dates(signed_in, caravan, tij):
    page = signed_in.get(REGISTER).content.decode()

    assert f'pattern="{html.escape(html_pattern(DOCUMENT_NUMBER))}"' in widget(page, "id_members-0-document_number")
    assert "data-not-future" in widget(page, "id_members-0-date_of_birth")
    assert '<script src="/static/js/household.js' in page


def test_only_caseworkers_register(client, supervisor):
    client.force_login(supervisor)

    assert client.get(REGISTER).status_code == 403


def test_an_office_that_is_not_the_caseworkers_is_refused(signed_in, caravan, tij, tap):
    response = signed_in.post(REGISTER, registration(caravan, tap, [PRINCIPAL]))

    assert feedback(response.content.decode(), "id_office")
    assert not Case.objects.exists()


@pytest.fixture
def tij_case(caseworker, caravan, tij):
    """María José registered in Tijuana."""
    return household(actor=caseworker, programme=caravan, office=tij)


@pytest.fixture
def tap_case(client, outsider, caravan, tap, tij_case):
    """The same woman registered again in Tapachula, her family names the other way round, without accents."""
    client.force_login(outsider)
    again = {**PRINCIPAL, "given_names": "Maria Jose", "family_names": "Lopez Hernandez", "document_type": "",
             "document_number": "", "document_issuing_country": "", "phone": ""}
    response = client.post(REGISTER, registration(caravan, tap, [again]))
    case = Case.objects.get(registering_office=tap)
    assert response.url == reverse("case_duplicates", args=[case.pk])
    return case


def test_the_duplicates_page_shows_the_member_beside_the_other_booths_person(client, tap_case, tij_case):
    page = client.get(reverse("case_duplicates", args=[tap_case.pk])).content.decode()

    candidate = tij_case.members.get()
    assert f'data-candidate="{candidate.pk}"' in page
    assert "María José Hernández López" in page
    assert 'data-testid="candidate-office">TIJ<' in page
    assert tij_case.reference not in page  # the outsider may not open that case
    assert 'data-testid="candidate-birth-date">1990-03-14<' in page  # what deciding needs, audited (below)
    assert candidate.document_number in page


def test_deciding_different_records_it_and_the_candidate_is_not_proposed_again(client, outsider, tap_case, tij_case):
    member, candidate = tap_case.members.get(), tij_case.members.get()
    url = reverse("case_duplicates", args=[tap_case.pk])

    response = client.post(url, {"member": member.pk, "candidate": candidate.pk, "decision": "different"})

    assert response.url == url
    decision = DuplicateDecision.objects.get()
    assert (decision.member, decision.candidate, decision.decision, decision.decided_by) == (
        member, candidate, DuplicateDecisionKind.DIFFERENT, outsider)
    page = client.get(url).content.decode()
    assert f'data-candidate="{candidate.pk}"' not in page
    assert 'data-testid="nothing-to-decide"' in page
    assert reverse("case_detail", args=[tap_case.pk]) in page
    member.refresh_from_db()
    assert member.same_person_as is None


def test_deciding_same_links_the_two_people(client, tap_case, tij_case):
    member, candidate = tap_case.members.get(), tij_case.members.get()

    client.post(reverse("case_duplicates", args=[tap_case.pk]),
                {"member": member.pk, "candidate": candidate.pk, "decision": "same"})

    member.refresh_from_db()
    assert member.same_person_as == candidate
    assert DuplicateDecision.objects.get().decision == DuplicateDecisionKind.SAME


def test_a_person_who_was_not_proposed_cannot_be_linked(client, caseworker, caravan, tij, tap_case):
    stranger = household(actor=caseworker, programme=caravan, office=tij, people=[
        MemberInput(given_names="Santos", family_names="Reyes", sex="male", date_of_birth=date(1979, 9, 9),
                    nationality="HN", place_of_origin="Omoa")]).members.get()

    client.post(reverse("case_duplicates", args=[tap_case.pk]),
                {"member": tap_case.members.get().pk, "candidate": stranger.pk, "decision": "same"})

    assert not DuplicateDecision.objects.exists()


def test_the_outsider_gets_not_found_on_another_offices_duplicates_page(client, caseworker, tap_case, tij_case):
    client.force_login(caseworker)  # Tijuana's caseworker, on Tapachula's case
    url = reverse("case_duplicates", args=[tap_case.pk])

    assert client.get(url).status_code == 404
    posted = client.post(url, {"member": tap_case.members.get().pk, "candidate": tij_case.members.get().pk,
                               "decision": "same"})

    assert posted.status_code == 404
    assert not DuplicateDecision.objects.exists()
    assert tap_case.members.get().same_person_as is None


def test_a_member_of_another_case_cannot_be_decided_through_this_page(client, outsider, caravan, tap, tap_case,
                                                                      tij_case):
    other = household(actor=outsider, programme=caravan, office=tap).members.get()

    response = client.post(reverse("case_duplicates", args=[tap_case.pk]),
                           {"member": other.pk, "candidate": tij_case.members.get().pk, "decision": "same"})

    assert response.status_code == 404
    assert not DuplicateDecision.objects.exists()


def test_the_review_page_flags_an_unaccompanied_child(signed_in, caravan, tij):
    alone = [{**SON, "relationship": "principal"}]
    signed_in.post(REGISTER, registration(caravan, tij, alone))
    case = Case.objects.get()

    page = signed_in.get(reverse("case_duplicates", args=[case.pk])).content.decode()

    assert 'data-testid="umc-badge"' in page
    assert 'data-testid="separated-child-badge"' not in page


def test_a_post_without_the_rows_bookkeeping_is_refused_not_a_crash(signed_in, caravan, tij):
    data = {k: v for k, v in registration(caravan, tij, [PRINCIPAL]).items() if not k.endswith("_FORMS")}

    response = signed_in.post(REGISTER, data)

    assert response.status_code == 200
    assert 'data-testid="household-errors"' in response.content.decode()
    assert not Case.objects.exists()
