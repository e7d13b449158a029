"""A family registered at one booth, the same man registered again at another: caught, compared, linked."""

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from accounts.models import Office, Programme
from cases.choices import DuplicateDecisionKind
from cases.models import Case, DuplicateDecision
from tests.browser.conftest import sign_in, sign_out

FAMILY = [
    {"given_names": "Óscar Armando", "family_names": "Mejía Bonilla", "relationship": "principal", "sex": "male",
     "date_of_birth": "1987-05-04", "nationality": "HN", "place_of_origin": "Choloma"},
    {"given_names": "Glenda Marisol", "family_names": "Paz Mejía", "relationship": "spouse", "sex": "female",
     "date_of_birth": "1991-09-12", "nationality": "HN", "place_of_origin": "Choloma"},
    {"given_names": "Josué David", "family_names": "Mejía Paz", "relationship": "child", "sex": "male",
     "estimated_age": "6", "nationality": "HN", "place_of_origin": "Choloma"},
]
SELECTS = {"relationship", "sex", "nationality"}


def member_fill(main, index: int, person: dict) -> None:
    for name, value in person.items():
        field = main.locator(f"#id_members-{index}-{name}")
        if name in SELECTS:
            field.select_option(value)
        else:
            field.fill(value)


def case_fill(main, programme: Programme) -> None:
    main.locator("#id_consent_type_0").check()  # explicit
    main.locator("#id_programme").select_option(str(programme.pk))
    main.locator("#id_destination_country").select_option("HN")
    main.locator("#id_how_heard").select_option("booth_outreach")


def register(page):
    main = page.locator("main")
    main.get_by_test_id("register-submit").click()
    page.wait_for_load_state()
    return main


@pytest.mark.browser
def test_a_family_registered_at_tijuana_is_caught_and_linked_when_the_father_registers_again_at_tapachula(page):
    caravan = Programme.objects.get(code="CARAVAN-2018")

    # given Tijuana's caseworker on the registration form, in Spanish
    sign_in(page, "caseworker_tij")
    page.goto("/cases/register/")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    main = page.locator("main")
    expect(main.locator("#id_office")).to_have_value(str(Office.objects.get(code="TIJ").pk))

    # the reason for consent appears only when the consent is not explicit
    reason = main.locator("#id_consent_reason")
    expect(reason).to_be_hidden()
    main.locator("#id_consent_type_2").check()  # by a proxy
    expect(reason).to_be_visible()
    case_fill(main, caravan)
    expect(reason).to_be_hidden()

    # when they add rows for the family with the add button (no reload: the page's own state survives)
    page.evaluate("window.stillTheSamePage = true")
    member_fill(main, 0, FAMILY[0])
    for _ in range(3):
        main.get_by_test_id("add-member").click()
    expect(main.get_by_test_id("member-row")).to_have_count(4)
    member_fill(main, 1, FAMILY[1])
    member_fill(main, 3, FAMILY[2])

    # a birth date in the future is pointed out as it is typed
    tomorrow = f"{date.today() + timedelta(days=1):%Y-%m-%d}"
    main.locator("#id_members-1-date_of_birth").fill(tomorrow)
    expect(main.locator("#id_members-1-date_of_birth_hint")).to_be_visible()
    main.locator("#id_members-1-date_of_birth").fill(FAMILY[1]["date_of_birth"])
    expect(main.locator("#id_members-1-date_of_birth_hint")).to_be_hidden()

    # and they remove the empty row between them: the rows after it are renumbered
    main.get_by_test_id("member-row").nth(2).get_by_test_id("remove-member").click()
    expect(main.get_by_test_id("member-row")).to_have_count(3)
    expect(main.locator("input[name=members-TOTAL_FORMS]")).to_have_value("3")
    expect(main.locator("#id_members-2-given_names")).to_have_value("Josué David")
    assert page.evaluate("window.stillTheSamePage") is True

    register(page)

    # then they see the new case's page with its reference
    case = Case.objects.get(registering_office__code="TIJ", members__given_names="Óscar Armando")
    expect(page).to_have_url(re.compile(rf"/cases/{case.pk}/$"))
    expect(page.locator("main h1")).to_have_text(case.reference)
    expect(page.locator("main .alert-success")).to_contain_text(case.reference)
    assert case.members.count() == 3
    father = case.members.get(relationship="principal")

    # given Tapachula's caseworker, who registers the same man: family names the other way round, a typo, no
    # accents, the same birth date and nationality, and no document
    sign_out(page)
    sign_in(page, "caseworker_tap")
    page.goto("/cases/register/")
    main = page.locator("main")
    case_fill(main, caravan)
    member_fill(main, 0, {**FAMILY[0], "given_names": "Oscar Armando", "family_names": "Bonila Mejia"})
    register(page)

    # then the case is saved and they are sent to its possible duplicates, the Tijuana father beside their man
    again = Case.objects.get(registering_office__code="TAP", members__given_names="Oscar Armando")
    expect(page).to_have_url(re.compile(rf"/cases/{again.pk}/duplicates/$"))
    review = main.get_by_test_id("duplicate-review")
    expect(review).to_have_count(1)
    expect(review.get_by_test_id("member")).to_contain_text("Oscar Armando Bonila Mejia")
    candidate = review.locator(f"[data-candidate='{father.pk}']")
    expect(candidate.get_by_test_id("candidate-name")).to_have_text("Óscar Armando Mejía Bonilla")
    expect(candidate.get_by_test_id("candidate-office")).to_have_text("TIJ")
    expect(candidate).not_to_contain_text(case.reference)

    # when they link them
    candidate.get_by_test_id("decide-same").click()

    # then the decision is recorded and nothing is left to decide
    expect(main.get_by_test_id("nothing-to-decide")).to_be_visible()
    man = again.members.get()
    decision = DuplicateDecision.objects.get(member=man)
    assert (decision.candidate_id, decision.decision) == (father.pk, DuplicateDecisionKind.SAME)
    man.refresh_from_db()
    assert man.same_person_as_id == father.pk
    main.get_by_test_id("back-to-case").click()
    expect(page.locator("main h1")).to_have_text(again.reference)
