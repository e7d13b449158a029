"""The linked duplicate in a real browser: the same woman registered at two booths travels once.

Pages are in Spanish (es-MX); the test finds things by data-testid, by names, and by messages translated here
with the same catalogue as the server.
"""

from datetime import date

import pytest
from django.utils import translation
from playwright.sync_api import expect

from accounts.models import Office, Programme, User
from cases.choices import CaseStatus
from cases.identity import MESSAGES
from cases.models import Case, CaseEvent, DuplicateDecision
from cases.registration import MemberInput
from cases.services import case_transition
from tests.browser.conftest import sign_in, sign_out
from tests.factories import household
from tests.screening_steps import ready_for_submission


def registered_at(office_code: str, username: str, number: str) -> Case:
    person = MemberInput(given_names="Yessenia Marisol", family_names="Alvarado Funes", sex="female",
                         date_of_birth=date(1994, 6, 12), nationality="HN", place_of_origin="La Ceiba",
                         relationship="principal", document_type="passport", document_number=number)
    user = User.objects.get(username=username)
    case = household(actor=user, programme=Programme.objects.get(code="CARAVAN-2018"),
                     office=Office.objects.get(code=office_code), people=[person])
    ready_for_submission(case, user)
    case_transition(case_id=case.pk, to="pending_approval", actor=user)
    return case


def spanish(code: str, **params) -> str:
    with translation.override("es"):
        return str(MESSAGES[code]) % {k: str(v) for k, v in params.items()}


def status_label(status: str) -> str:
    with translation.override("es"):
        return str(CaseStatus(status).label)


@pytest.mark.browser
def test_the_supervisor_cannot_approve_the_second_record_of_a_person_whose_first_case_is_approved(page):
    # given the same woman registered in Tijuana and again in Tapachula with the same passport, both submitted,
    # and the Tijuana case approved
    first = registered_at("TIJ", "caseworker_tij", "HN7781234")
    second = registered_at("TAP", "caseworker_tap", "HN-778-1234")
    case_transition(case_id=first.pk, to="approved", actor=User.objects.get(username="supervisor_mx"))

    # when Tapachula's caseworker compares her with the Tijuana record and answers "same person"
    sign_in(page, "caseworker_tap")
    page.goto(f"/cases/{second.pk}/duplicates/")
    card = page.locator(f"main [data-testid=candidate][data-candidate='{first.members.get().pk}']")
    expect(card.get_by_test_id("candidate-birth-date")).to_have_text("1994-06-12")
    expect(card.get_by_test_id("candidate-document")).to_contain_text("HN7781234")
    expect(card.get_by_test_id("candidate-office")).to_have_text("TIJ")
    card.get_by_test_id("decide-same").click()
    page.wait_for_url(f"**/cases/{second.pk}/duplicates/")

    # then the link is shown, with the clash, and the other booth's reference stays hidden from her
    panel = page.locator("main [data-testid=same-person]")
    expect(panel.get_by_test_id("same-person-conflict")).to_be_visible()
    expect(panel.get_by_test_id("same-person-hidden")).to_be_visible()
    expect(panel).not_to_contain_text(first.reference)
    assert DuplicateDecision.objects.get().decision == "same"

    # when the supervisor opens the second case to approve it
    sign_out(page)
    sign_in(page, "supervisor_mx")
    page.goto(f"/cases/{second.pk}/")
    events = CaseEvent.objects.filter(case=second).count()

    # then "approve" cannot be pressed and says why, and the page shows the other case with its reference
    expect(page.locator("main [data-testid=next-steps] button[data-to=approved]")).to_be_disabled()
    expect(page.locator("main").get_by_test_id("missing-approved")).to_contain_text(spanish(
        "same_person_active", name="Yessenia Marisol Alvarado Funes", status=status_label("approved")))
    link = page.locator("main [data-testid=same-person] [data-testid=same-person-reference]")
    expect(link).to_have_text(first.reference)
    expect(page.locator("main [data-testid=same-person-badge]")).to_contain_text(first.reference)
    assert Case.objects.get(pk=second.pk).status == "pending_approval"
    assert CaseEvent.objects.filter(case=second).count() == events

    # and the link leads to the approved case
    link.click()
    page.wait_for_url(f"**/cases/{first.pk}/")
    expect(page.locator("main").get_by_test_id("case-status")).to_have_text(status_label("approved"))
