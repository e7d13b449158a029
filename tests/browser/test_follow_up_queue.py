"""A month-1 follow-up call in a real browser: San Pedro Sula's reception staff find Ana in the queue, record a
call nobody answered, then the completed questionnaire (in Spanish, one answer first out of range); her answer "does
not feel safe" raises a flag, and the programme's protection focal point closes the task it made."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Office, Programme, User
from reception.models import FollowUp, FollowUpFlag, SafeguardingTask
from reception.services import check_in
from tests.browser.conftest import sign_in, sign_out
from tests.reception_steps import approved, convoy, departed, documents_ready
from tests.screening_steps import family
from travel import services as travel_services


def ana_back_home_with_a_call_due():
    """A family of three received at CAMR San Pedro Sula; Ana agreed to be called, her month-1 window is open."""
    from screening.services import member_consent_record

    users = {name: User.objects.get(username=name) for name in ("caseworker_tij", "supervisor_mx", "movement_mx",
                                                                 "reception_hn")}
    caravan, tij, sps = (Programme.objects.get(code="CARAVAN-2018"), Office.objects.get(code="TIJ"),
                         Office.objects.get(code="HN-SPS"))
    the_family = family(actor=users["caseworker_tij"], programme=caravan, office=tij)
    ana = the_family.members.order_by("id").first()
    member_consent_record(actor=users["caseworker_tij"], member_id=ana.pk, data={
        "scope": "follow_up", "type": "explicit", "given_on": timezone.localdate()})
    the_family = approved(the_family, users["caseworker_tij"], users["supervisor_mx"])
    documents_ready(the_family, users["movement_mx"])
    bus = convoy(users["movement_mx"], tij, sps)
    travel_services.escort_add(actor=users["movement_mx"], movement_id=bus.pk, data={"name": "Lucía", "kind": "child"})
    departed(bus, users["movement_mx"], [the_family])
    for member in the_family.members.all():
        check_in(actor=users["reception_hn"], movement_id=bus.pk, member_id=member.pk)
    month_1 = FollowUp.objects.get(member=ana, step__offset_days=30)
    FollowUp.objects.filter(pk=month_1.pk).update(status="due", opens_on=timezone.localdate())
    return ana, month_1


@pytest.mark.browser
def test_a_call_from_the_queue_to_the_answers_raises_a_flag_the_focal_point_closes(page):
    ana, month_1 = ana_back_home_with_a_call_due()
    main = page.locator("main")

    # the reception staff find Ana in the queue of calls due
    sign_in(page, "reception_hn")
    page.locator("nav [data-nav=follow_up_queue]").click()
    row = main.locator(f"[data-follow-up='{month_1.pk}']")
    expect(row).to_contain_text(ana.full_name)
    row.get_by_test_id(f"open-{month_1.pk}").click()

    # nobody answers the first call
    form = main.get_by_test_id("attempt-form")
    form.locator("select[name=outcome]").select_option("no_answer")
    form.get_by_test_id("attempt-save").click()
    expect(main.locator("[data-testid=attempts] tr[data-outcome=no_answer]")).to_have_count(1)

    # the second call: completed, with a debt out of range first, then right
    form = main.get_by_test_id("attempt-form")
    expect(form.get_by_test_id("questionnaire")).to_contain_text("¿Se siente seguro o segura donde vive?")
    form.locator("select[name=outcome]").select_option("completed")
    answers = {"q_working": "yes", "q_income_covers": "3", "q_housing": "rented", "q_community": "4",
               "q_feels_safe": "no", "q_wellbeing": "3", "q_migrate_irregularly": "no"}
    for name, value in answers.items():
        form.locator(f"select[name={name}]").select_option(value)
    form.locator("input[name=q_debt]").fill("20000")
    form.get_by_test_id("attempt-save").click()
    expect(main.locator("#id_q_debt_error")).to_contain_text("Dé un número de 0 a 10000.")
    assert not FollowUpFlag.objects.exists()

    form = main.get_by_test_id("attempt-form")
    form.locator("input[name=q_debt]").fill("300")
    form.get_by_test_id("attempt-save").click()
    expect(main.get_by_test_id("follow-up-status")).to_have_attribute("data-status", "completed")
    expect(main.locator("[data-testid=follow-up-flags] [data-flag=not_safe]")).to_be_visible()

    # the protection focal point closes the task with what was done
    sign_out(page)
    sign_in(page, "admin")
    page.goto("/reception/safeguarding/")
    task = SafeguardingTask.objects.get()
    close = main.get_by_test_id(f"close-{task.pk}")
    close.locator("textarea").fill("Llamada de la oficial de protección; referida a la unidad local.")
    close.locator("button[type=submit]").click()
    expect(main.get_by_test_id("no-tasks")).to_be_visible()
    task.refresh_from_db()
    assert task.closed_by.username == "admin" and task.note.startswith("Llamada")
