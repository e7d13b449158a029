"""A case page exists only for those who may see the case: anyone else gets "not found", never "forbidden"."""

import pytest
from playwright.sync_api import expect

from cases.models import Case
from tests.browser.conftest import sign_in


def a_tijuana_case() -> Case:
    return Case.objects.filter(registering_office__code="TIJ").order_by("id").first()


@pytest.mark.browser
def test_a_caseworker_of_another_booth_who_types_a_cases_url_gets_not_found(page):
    # given a Tijuana case and a caseworker of Tapachula
    case = a_tijuana_case()
    sign_in(page, "caseworker_tap")
    expect(page.get_by_test_id("home-caseworker")).to_be_visible()

    # when they type the case's address
    response = page.goto(f"/cases/{case.pk}/")

    # then the answer is "not found", and nothing of the case is shown
    assert response.status == 404
    expect(page.get_by_test_id("case-status")).to_have_count(0)
    expect(page.get_by_test_id("members")).to_have_count(0)
    expect(page.locator("body")).not_to_contain_text(case.reference)


@pytest.mark.browser
def test_a_caseworker_of_the_cases_booth_sees_the_case_at_its_url(page):
    # given a Tijuana case and Tijuana's caseworker
    case = a_tijuana_case()
    sign_in(page, "caseworker_tij")
    expect(page.get_by_test_id("home-caseworker")).to_be_visible()

    # when they type the case's address
    response = page.goto(f"/cases/{case.pk}/")

    # then they see the case with its members
    assert response.status == 200
    expect(page.locator("h1")).to_have_text(case.reference)
    expect(page.get_by_test_id("case-status")).to_be_visible()
    expect(page.get_by_test_id("members")).to_contain_text(case.members.order_by("id").first().full_name)
