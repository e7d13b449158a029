"""The reception centre in San Pedro Sula receives a convoy in a real browser: check-in (one by the boarding code's
text, as a USB scanner types it), a child handed to DINAF, a hygiene kit and transport money, a referral to the
employment service with the consent asked on the spot, and the supervisor closes the case.

Pages are in Spanish (es-MX); the tests find things by data-testid / data-* attributes and by the people's names.
"""

import pytest
from django.utils import translation
from playwright.sync_api import expect

from accounts.models import Office, Programme, User
from cases.choices import CaseStatus
from cases.models import Case
from reception.models import Assistance, CheckIn, Handover, Referral
from tests.browser.conftest import sign_in, sign_out
from tests.reception_steps import approved, child_alone, convoy, departed, documents_ready
from tests.screening_steps import family
from travel import services as travel_services
from travel.models import Booking
from travel.qr import boarding_code


def demo_user(username: str) -> User:
    return User.objects.get(username=username)


def a_departed_convoy():
    """A family of three and a girl of fifteen alone, approved in Tijuana, on a bus that left for San Pedro Sula."""
    caseworker, supervisor, officer = demo_user("caseworker_tij"), demo_user("supervisor_mx"), demo_user("movement_mx")
    caravan, tij, sps = Programme.objects.get(code="CARAVAN-2018"), Office.objects.get(code="TIJ"), \
        Office.objects.get(code="HN-SPS")
    the_family = approved(family(actor=caseworker, programme=caravan, office=tij), caseworker, supervisor)
    girl = child_alone(caseworker=caseworker, supervisor=supervisor, programme=caravan, office=tij)
    for case in (the_family, girl):
        documents_ready(case, officer)
    bus = convoy(officer, tij, sps)
    travel_services.escort_add(actor=officer, movement_id=bus.pk, data={"name": "Lucía Ramírez", "kind": "child"})
    return departed(bus, officer, [the_family, girl]), the_family, girl


def status_label(status: str) -> str:
    with translation.override("es"):
        return str(CaseStatus(status).label)


def wait_for_result(page, member):
    result = page.locator(f"main [data-testid=scan-result][data-member='{member.pk}']")
    expect(result).to_be_visible()
    return result


@pytest.mark.browser
def test_reception_at_san_pedro_sula_receives_the_convoy_assists_hands_over_refers_and_the_supervisor_closes(page):
    # given a convoy from Tijuana on its way to CAMR San Pedro Sula, with a family of three and a girl alone
    bus, the_family, girl = a_departed_convoy()
    ana, jorge, kevin = the_family.members.order_by("id")
    dayana = girl.members.get()
    main = page.locator("main")

    # when the centre's staff open the arrivals board
    sign_in(page, "reception_hn")
    page.locator("nav [data-nav=arrivals]").click()

    # then they see the convoy coming, with its passengers, children and the unaccompanied child counted
    row = main.locator(f"[data-testid=arrivals] tr[data-movement='{bus.reference}']")
    expect(row.locator("[data-count=passengers]")).to_have_text("4")
    expect(row.locator("[data-count=children]")).to_have_text("2")
    expect(row.locator("[data-count=unaccompanied]")).to_have_text("1")
    expect(main).not_to_contain_text(ana.full_name)

    # when they check in the mother and the father with the buttons of the expected list
    row.get_by_test_id(f"check-in-{bus.reference}").click()
    expect(main.get_by_test_id("expected-list")).to_contain_text(kevin.full_name)
    main.get_by_test_id(f"arrived-{ana.pk}").click()
    wait_for_result(page, ana)
    main.get_by_test_id(f"arrived-{jorge.pk}").click()

    # then the household waits for its son
    expect(wait_for_result(page, jorge).get_by_test_id("waiting-for")).to_contain_text(kevin.full_name)

    # when the son's boarding code is scanned: the scanner types its text into the focused field and presses Enter
    scan = main.get_by_test_id("scan-field")
    expect(scan).to_be_focused()
    scan.press_sequentially(boarding_code(Booking.objects.get(movement=bus, member=kevin)))
    scan.press("Enter")

    # then the whole family has arrived
    result = wait_for_result(page, kevin)
    expect(result).to_have_attribute("data-household-arrived", "true")
    expect(main.locator(f"tr[data-member='{kevin.pk}']")).to_have_attribute("data-state", "arrived")
    assert Case.objects.get(pk=the_family.pk).status == CaseStatus.ARRIVED
    assert CheckIn.objects.filter(member__case=the_family, arrived=True).count() == 3

    # when the girl is checked in, she waits for her handover to the child-protection authority
    main.get_by_test_id(f"arrived-{dayana.pk}").click()
    wait_for_result(page, dayana).get_by_test_id("result-handover").click()

    # and the handover to DINAF is recorded with the official and the grandmother she goes to
    form = main.get_by_test_id("handover-form")
    expect(form.locator("select[name=authority]")).to_have_value("dinaf")
    form.locator("input[name=official_name]").fill("Licda. Karla Mejía")
    form.locator("input[name=official_position]").fill("Oficial de protección, Centro Belén")
    form.locator("input[name=goes_to][value=family]").check()
    form.locator("input[name=goes_to_name]").fill("Abuela materna, Choloma")
    form.locator("button[type=submit]").click()

    # then she has arrived too, handed over
    expect(main.locator(f"tr[data-member='{dayana.pk}'] [data-badge=handed-over]")).to_be_visible()
    assert Handover.objects.get(member=dayana).authority == "dinaf"
    assert Case.objects.get(pk=girl.pk).status == CaseStatus.ARRIVED

    # when the mother is given a hygiene kit and transport money
    main.get_by_test_id(f"assistance-{ana.pk}").click()
    form = main.get_by_test_id("assistance-form")
    form.locator("select[name=kind]").select_option("hygiene_kit")
    form.locator("button[type=submit]").click()
    expect(main.locator("[data-testid=given] [data-kind=hygiene_kit]")).to_be_visible()
    form.locator("select[name=kind]").select_option("transport_money")
    form.locator("input[name=amount]").fill("500")
    expect(form.locator("select[name=currency]")).to_have_value("HNL")
    form.locator("button[type=submit]").click()

    # then both are listed, each with a receipt to print and sign
    money = main.locator("[data-testid=given] [data-kind=transport_money]")
    expect(money).to_contain_text("500")
    receipt = page.request.get(money.locator("a").get_attribute("href"))
    assert receipt.status == 200 and receipt.headers["content-type"] == "application/pdf"
    assert sorted(Assistance.objects.filter(member=ana).values_list("kind", flat=True)) == [
        "hygiene_kit", "transport_money"]

    # when the father is referred to the employment service, without having consented yet
    page.goto(f"/reception/members/{jorge.pk}/referrals/new/")
    form = main.get_by_test_id("referral-form")
    form.locator("select[name=institution]").select_option(label="Servicio Nacional de Empleo de Honduras "
                                                                 "(San Pedro Sula)")
    form.locator("select[name=service]").select_option("employment")
    form.get_by_test_id("refer").click()

    # then the referral is refused and his consent is asked on the same page; once he agrees, he is referred
    consent = main.get_by_test_id("consent-missing")
    expect(consent).to_contain_text("Servicio Nacional de Empleo de Honduras")
    assert not Referral.objects.exists()
    consent.locator("input[name=consent_given]").check()
    consent.get_by_test_id("record-consent").click()
    page.wait_for_url(f"**/cases/{the_family.pk}/reception/")
    expect(main.locator("[data-testid=case-referrals] tr[data-status=sent]")).to_contain_text(jorge.full_name)
    referral = Referral.objects.get(member=jorge)
    assert (referral.institution.name, referral.service) == ("Servicio Nacional de Empleo de Honduras", "employment")

    # when the supervisor closes the family's case from its reception tab
    sign_out(page)
    sign_in(page, "supervisor_mx")
    page.goto(f"/cases/{the_family.pk}/reception/")
    close = main.get_by_test_id("close-case")
    close.locator("select[name=reason]").select_option("completed")
    close.get_by_test_id("close-case-button").click()

    # then the page asks first, and going back changes nothing
    dialog = page.get_by_test_id("confirm-dialog")
    expect(dialog).to_contain_text("¿Cerrar el caso?")
    dialog.get_by_test_id("confirm-no").click()
    expect(dialog).to_have_count(0)
    assert Case.objects.get(pk=the_family.pk).status == CaseStatus.ARRIVED
    close.get_by_test_id("close-case-button").click()
    page.get_by_test_id("confirm-dialog").get_by_test_id("confirm-yes").click()

    # then the case is closed, the return completed
    expect(main.get_by_test_id("case-status")).to_have_text(status_label("closed"))
    case = Case.objects.get(pk=the_family.pk)
    assert (case.status, case.closure_reason) == ("closed", "completed")


@pytest.mark.browser
def test_back_and_resubmit_of_the_assistance_form_records_the_item_once(page):
    # given the mother of a convoy checked in at San Pedro Sula
    bus, the_family, _girl = a_departed_convoy()
    ana = the_family.members.order_by("id").first()
    reception = demo_user("reception_hn")
    from reception.services import check_in
    check_in(actor=reception, movement_id=bus.pk, member_id=ana.pk)
    sign_in(page, "reception_hn")
    main = page.locator("main")

    # when food is recorded, then the browser goes Back to the filled form and sends it again
    page.goto(f"/reception/members/{ana.pk}/assistance/")
    main.get_by_test_id("assistance-form").locator("select[name=kind]").select_option("food")
    main.get_by_test_id("assistance-form").locator("button[type=submit]").click()
    expect(main.locator("[data-testid=given] [data-kind=food]")).to_be_visible()
    page.go_back()
    main.get_by_test_id("assistance-form").locator("select[name=kind]").select_option("food")
    main.get_by_test_id("assistance-form").locator("button[type=submit]").click()

    # then one item is recorded and the page says it was already recorded
    expect(page.locator(".alert").filter(has_text="No se agregó nada")).to_be_visible()
    assert Assistance.objects.filter(member=ana, kind="food").count() == 1
