"""Counselling, screening, submission and approval in a real browser, as the booth and the supervisor work them.

Pages are in Spanish (es-MX); messages not yet translated may still be in English, so the tests find things by
data-testid / data-* attributes, by the people's names, or by labels translated here with the same catalogue.
"""

import pytest
from django.utils import translation
from playwright.sync_api import expect

from accounts.choices import Role
from accounts.models import Assignment, Office, Programme, User
from accounts.services import user_role_groups_sync
from cases.choices import CaseStatus
from cases.models import Case, CaseEvent
from cases.people import is_adult
from screening.models import (
    CounsellingSession,
    Declaration,
    ProtectionReferral,
    ProtectionScreening,
)
from screening.rules import MESSAGES
from tests.browser.conftest import sign_in, sign_out
from tests.mfa_steps import enrolled
from tests.screening_steps import TOPICS, family, ready_for_submission


def caseworker_tij() -> User:
    return User.objects.get(username="caseworker_tij")


def a_tijuana_family() -> Case:
    """A mother, a father and their son, registered at the Tijuana booth by its caseworker (through the services)."""
    return family(actor=caseworker_tij(), programme=Programme.objects.get(code="CARAVAN-2018"),
                  office=Office.objects.get(code="TIJ"))


def status_label(status: str) -> str:
    with translation.override("es"):
        return str(CaseStatus(status).label)


def refusal(code: str, **params) -> str:
    """A guard's message as the Spanish-speaking booth reads it (the same catalogue as the server)."""
    with translation.override("es"):
        return str(MESSAGES[code]) % params if params else str(MESSAGES[code])


def status_of(case: Case) -> str:
    return Case.objects.get(pk=case.pk).status


def open_screening_tab(page, case: Case):
    page.goto(f"/cases/{case.pk}/screening/")
    expect(page.locator("main").get_by_test_id("checklist")).to_be_visible()
    return page.locator("main")


def save_form(page, case: Case):
    """Press the form's own Save (not the language switcher) and wait to be back on the screening tab."""
    page.locator("main form[data-testid=screening-form] button[type=submit]").click()
    page.wait_for_url(f"**/cases/{case.pk}/screening/")


def press_next_step(page, to: str):
    page.locator(f"main [data-testid=next-steps] button[data-to={to}]").click()


@pytest.mark.browser
def test_a_caseworker_counsels_screens_and_submits_a_family_and_the_supervisor_approves_it_from_the_queue(page):
    # given a family just registered at the Tijuana booth, and its caseworker on the screening tab
    case = a_tijuana_family()
    people = list(case.members.order_by("id"))
    adults = [m for m in people if is_adult(m)]
    sign_in(page, "caseworker_tij")
    main = open_screening_tab(page, case)
    expect(main.locator("[data-testid=checklist] [data-code=counselling_missing]")).to_be_visible()
    expect(main.locator("button[data-to=pending_approval]")).to_have_count(0)

    # when they record a counselling session covering the four topics, in which the family wishes to return
    main.get_by_test_id("new-session").click()
    form = page.locator("main form[data-testid=screening-form]")
    form.locator("input[name=language]").fill("español")
    for topic in TOPICS:
        form.locator(f"input[name=topics][value={topic}]").check()
    form.locator("select[name=outcome]").select_option("wishes_to_return")
    save_form(page, case)
    expect(main.get_by_test_id("session")).to_have_count(1)
    expect(main.locator("[data-code^=counselling]")).to_have_count(0)

    # and screen each member (no fear of return)
    for member in people:
        main.get_by_test_id(f"screen-{member.pk}").click()
        page.locator("main input[name=fear_of_return][value=no]").check()
        save_form(page, case)
        expect(main.locator(f"[data-member='{member.pk}'] [data-testid=fear-{member.pk}]")).to_be_visible()

    # and record each adult's signed declaration
    for member in adults:
        main.get_by_test_id(f"declaration-new-{member.pk}").click()
        page.locator("main input[name=witness]").fill("Sor Juana Inés")
        save_form(page, case)

    # then the checklist is complete and the case can be submitted
    expect(main.get_by_test_id("checklist-complete")).to_be_visible()
    expect(main.locator("[data-testid=checklist] [data-code]")).to_have_count(0)
    press_next_step(page, "pending_approval")
    page.wait_for_url(f"**/cases/{case.pk}/screening/")
    expect(page.locator("main").get_by_test_id("case-status")).to_have_text(status_label("pending_approval"))
    assert CounsellingSession.objects.get(case=case).topics == TOPICS
    assert ProtectionScreening.objects.filter(member__case=case, fear_of_return=False).count() == len(people)
    assert Declaration.objects.filter(member__case=case, witness="Sor Juana Inés").count() == len(adults)
    assert Case.objects.get(pk=case.pk).submitted_by == caseworker_tij()

    # when the supervisor ticks the case in the approval queue and approves it
    sign_out(page)
    sign_in(page, "supervisor_mx")
    page.goto("/cases/approvals/")
    row = page.locator(f"main [data-testid=approval-queue] tr[data-case='{case.reference}']")
    row.locator("input[name=case]").check()
    page.locator("main").get_by_test_id("approve-selected").click()

    # then the queue says it was approved and no longer lists it, and the case is approved
    expect(page.locator("main .alert-success")).to_contain_text(case.reference)
    expect(row).to_have_count(0)
    assert status_of(case) == "approved"
    event = CaseEvent.objects.filter(case=case).latest("id")
    assert (event.from_status, event.to_status, event.actor.username) == (
        "pending_approval", "approved", "supervisor_mx")
    main = open_screening_tab(page, case)
    expect(main.get_by_test_id("case-status")).to_have_text(status_label("approved"))


@pytest.mark.browser
def test_the_caseworker_who_submitted_cannot_approve_even_with_a_supervisor_role(page):
    # given the Tijuana caseworker also holds a supervisor role in the programme, and a family ready to submit
    caseworker = caseworker_tij()
    Assignment.objects.create(user=caseworker, role=Role.SUPERVISOR,
                              programme=Programme.objects.get(code="CARAVAN-2018"), country="MX")
    user_role_groups_sync(user=caseworker)
    enrolled(caseworker)  # a supervisor role needs a second factor; sign_in types its code
    case = ready_for_submission(a_tijuana_family(), caseworker)
    sign_in(page, "caseworker_tij")

    # when they submit it from the screening tab
    open_screening_tab(page, case)
    press_next_step(page, "pending_approval")
    page.wait_for_url(f"**/cases/{case.pk}/screening/")
    assert status_of(case) == "pending_approval"
    events = CaseEvent.objects.filter(case=case).count()

    # then in the approval queue their own case cannot be ticked
    page.goto("/cases/approvals/")
    row = page.locator(f"main [data-testid=approval-queue] tr[data-case='{case.reference}']")
    expect(row).to_be_visible()
    expect(row.locator("input[name=case]")).to_be_disabled()

    # and the case's screening tab offers them no "approve" at all, only what another supervisor's eyes allow
    main = open_screening_tab(page, case)
    expect(main.locator("[data-testid=next-steps] button[data-to=rejected]")).to_be_visible()
    expect(main.locator("button[data-to=approved]")).to_have_count(0)
    expect(page.locator("main").get_by_test_id("case-status")).to_have_text(status_label("pending_approval"))
    assert status_of(case) == "pending_approval"
    assert CaseEvent.objects.filter(case=case).count() == events


@pytest.mark.browser
def test_a_principal_who_fears_return_blocks_submission_and_the_case_is_referred_to_unhcr(page):
    # given a family counselled, screened and with declarations signed
    case = ready_for_submission(a_tijuana_family(), caseworker_tij())
    principal = case.members.get(relationship="principal")
    sign_in(page, "caseworker_tij")
    main = open_screening_tab(page, case)
    expect(main.get_by_test_id("checklist-complete")).to_be_visible()

    # when the principal's screening is changed to "yes, fears return"
    main.get_by_test_id(f"screen-{principal.pk}").click()
    page.locator("main input[name=fear_of_return][value=yes]").check()
    save_form(page, case)

    # then the checklist shows the open protection flag
    expect(main.locator("[data-testid=checklist] [data-code]")).to_have_count(1)
    expect(main.locator("[data-testid=checklist] [data-code=protection_flag_open]")).to_contain_text(
        principal.full_name)

    # and submitting is not possible: the button is disabled and says why
    events = CaseEvent.objects.filter(case=case).count()
    expect(main.locator("[data-testid=next-steps] button[data-to=pending_approval]")).to_be_disabled()
    expect(main.get_by_test_id("missing-pending_approval")).to_contain_text(
        refusal("protection_flag_open", name=principal.full_name))
    assert status_of(case) == "screening"
    assert CaseEvent.objects.filter(case=case).count() == events

    # when the caseworker refers the case out to UNHCR, with a reason
    main = open_screening_tab(page, case)
    step = main.locator("[data-testid=next-steps] form:has(button[data-to=referred_out])")
    step.locator("select[name=referred_to]").select_option("unhcr")
    step.locator("input[name=note]").fill("Teme a la pandilla de su colonia")
    press_next_step(page, "referred_out")
    page.get_by_test_id("confirm-dialog").get_by_test_id("confirm-yes").click()  # it cannot be undone
    page.wait_for_url(f"**/cases/{case.pk}/screening/")

    # then the case has left the programme for UNHCR
    expect(page.locator("main").get_by_test_id("case-status")).to_have_text(status_label("referred_out"))
    assert status_of(case) == "referred_out"
    assert ProtectionReferral.objects.get(case=case).referred_to == "unhcr"
    assert CaseEvent.objects.filter(case=case).latest("id").note == "Teme a la pandilla de su colonia"
