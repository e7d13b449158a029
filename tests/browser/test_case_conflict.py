"""Two tabs editing the same case: the second save shows the comparison, and the decided re-save loses nothing."""

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from cases.models import Case
from tests.browser.conftest import sign_in


@pytest.mark.browser
def test_two_tabs_editing_the_same_case_keep_both_changes(page):
    # given a Tijuana case open for editing in two tabs of the same caseworker
    case = Case.objects.filter(registering_office__code="TIJ", status__in=["registered", "screening"]).order_by(
        "id").first()
    how_heard = "shelter" if case.how_heard != "shelter" else "social_media"
    later = case.intake_date + timedelta(days=1)
    if later > date.today():
        later = case.intake_date - timedelta(days=1)
    sign_in(page, "caseworker_tij")
    second = page.context.new_page()
    page.goto(f"/cases/{case.pk}/edit/")
    second.goto(f"/cases/{case.pk}/edit/")

    # when the first tab changes the caseworker notes and saves
    page.locator("textarea[name=caseworker_notes]").fill("Llamó su hermana desde Choloma.")
    page.locator("[data-testid=case-edit] button[type=submit]").click()
    page.wait_for_url(f"**/cases/{case.pk}/")

    # and the second tab changes the intake date and how they heard, and saves
    second.locator("select[name=how_heard]").select_option(how_heard)
    second.locator("input[name=intake_date]").fill(later.isoformat())
    second.locator("[data-testid=case-edit] button[type=submit]").click()

    # then the second tab shows the notes saved now beside its own, keeping the saved ones
    conflict = second.get_by_test_id("conflict")
    expect(conflict).to_be_visible()
    notes_row = conflict.locator("tr[data-field=caseworker_notes]")
    expect(notes_row.get_by_test_id("saved")).to_have_text("Llamó su hermana desde Choloma.")
    expect(notes_row.get_by_test_id("keeps")).to_contain_text("no cambió")
    expect(second.locator("textarea[name=caseworker_notes]")).to_have_value("Llamó su hermana desde Choloma.")
    expect(second.locator("input[name=intake_date]")).to_have_value(later.isoformat())
    assert Case.objects.get(pk=case.pk).how_heard == case.how_heard

    # when it saves again, both changes are kept
    second.locator("[data-testid=case-edit] button[type=submit]").click()
    second.wait_for_url(f"**/cases/{case.pk}/")
    saved = Case.objects.get(pk=case.pk)
    assert (saved.caseworker_notes, saved.how_heard, saved.intake_date) == (
        "Llamó su hermana desde Choloma.", how_heard, later)
