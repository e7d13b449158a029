"""A supervisor confirms the retention review queue in a real browser: a closed case long past its programme's
retention period is ticked, the confirmation step is answered, and the case is anonymised with a certificate."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from cases.models import Case, CaseEvent, Member
from retention.models import ErasureCertificate
from retention.plan import MARKER
from retention.services import retention_queue_fill
from tests.browser.conftest import sign_in


@pytest.mark.browser
def test_the_supervisor_confirms_a_due_case_and_it_is_anonymised(page):
    # given a caravans case of Mexico closed 25 months ago, queued by the nightly sweep
    case = Case.objects.filter(programme__code="CARAVAN-2018", registration_country="MX").order_by("pk").first()
    Case.objects.filter(pk=case.pk).update(status="closed")
    event = CaseEvent.objects.create(case=case, actor=User.objects.get(username="supervisor_mx"),
                                     from_status="arrived", to_status="closed")
    CaseEvent.objects.filter(pk=event.pk).update(at=timezone.now() - timedelta(days=31 * 25))
    retention_queue_fill()
    names = set(Member.objects.filter(case=case).values_list("given_names", flat=True))

    # when the supervisor opens the review queue from the menu, ticks the case and asks to anonymise it
    sign_in(page, "supervisor_mx")
    page.locator("nav [data-nav=retention_review]").click()
    row = page.locator(f"main [data-testid=retention-queue] tr[data-case='{case.reference}']")
    expect(row).to_be_visible()
    for name in names:
        expect(page.locator("main")).not_to_contain_text(name)
    row.locator("input[type=checkbox]").check()
    page.locator("main [data-testid=anonymise-selected]").click()

    # then a confirmation is asked first, and nothing is anonymised yet
    expect(page.locator("main [data-testid=confirmation]")).to_contain_text("¿Anonimizar los casos seleccionados?")
    assert set(Member.objects.filter(case=case).values_list("given_names", flat=True)) == names

    # and once confirmed the queue is empty, the case anonymised, and its certificate names the supervisor
    page.locator("main [data-testid=confirm-yes]").click()
    expect(page.locator("body")).to_contain_text("Casos confirmados: 1.")
    expect(page.locator(f"main tr[data-case='{case.reference}']")).to_have_count(0)
    assert set(Member.objects.filter(case=case).values_list("given_names", flat=True)) == {MARKER}
    assert ErasureCertificate.objects.get().actor.username == "supervisor_mx"
