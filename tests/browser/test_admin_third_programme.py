"""A third programme set up from the Django admin alone, then one case carried to closure through the app's pages.

The admin creates a booth in Panama and a reception centre in Colombia, the programme "Darién AVR 2021", its four staff
with their roles, a Colombian employment service and the centre's kit stock and first delivery; the booth's caseworker
registers a man, counsels, screens and submits him; the new supervisor approves; the movement officer records his
document, plans a bus, books, confirms and records the departure; the centre checks him in, gives a kit and transport
money, refers him with his consent; the supervisor closes the case.
"""

from datetime import timedelta

import pytest
from django.utils import timezone, translation
from playwright.sync_api import expect

from accounts.models import Assignment, Office, Programme, User
from cases.choices import CaseStatus
from cases.models import Case
from reception.models import Assistance, Institution, KitDelivery, KitStock, Referral
from tests.browser.conftest import DEMO_PASSWORD, sign_in, sign_out
from tests.browser.test_screening_approval import open_screening_tab, press_next_step, save_form
from tests.mfa_steps import enrolled
from tests.screening_steps import TOPICS
from travel.models import Movement, TravelDocument

pytestmark = pytest.mark.browser

STAFF = [  # username, role, office, programme, country
    ("caseworker_pty", "caseworker", "PTY", None, ""),
    ("supervisor_pan", "supervisor", None, "PAN-2021", ""),
    ("movement_pa", "movement_officer", None, None, "PA"),
    ("reception_co", "reception_staff", "CO-CUC", None, ""),
]
MAN = {"given_names": "Jhon Fredy", "family_names": "Restrepo Gil", "sex": "male", "date_of_birth": "1989-03-08",
       "nationality": "CO", "place_of_origin": "Medellín"}


def admin_page(page, path: str):
    page.goto(f"/admin/{path}")
    return page.locator("#content-main form")


def admin_save(page, form):
    form.locator("input[name=_save]").click()
    page.wait_for_load_state()
    expect(page.locator(".errornote")).to_have_count(0)
    expect(page.locator(".messagelist .success")).to_have_count(1)


def autocomplete(page, field_id: str, text: str):
    """Pick `text` in one of the admin's search-as-you-type selects."""
    page.locator(f"#{field_id} + .select2 .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill(text)
    page.locator(".select2-results__option", has_text=text).first.click()


def office_add(page, code, name, kind, country):
    form = admin_page(page, "accounts/office/add/")
    form.locator("input[name=code]").fill(code)
    form.locator("input[name=name]").fill(name)
    form.locator("select[name=kind]").select_option(kind)
    form.locator("select[name=country]").select_option(country)
    admin_save(page, form)


def programme_add(page):
    form = admin_page(page, "accounts/programme/add/")
    form.locator("input[name=code]").fill("PAN-2021")
    form.locator("input[name=name]").fill("Darién AVR 2021")
    form.locator("input[name=donor]").fill("PRM")
    form.locator("input[name=registration_countries][value=PA]").check()
    form.locator("input[name=return_countries][value=CO]").check()
    form.locator("input[name=start_date]").fill("2021-01-01")
    admin_save(page, form)


def user_add(page, username, role, office, programme, country):
    form = admin_page(page, "accounts/user/add/")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password1]").fill(DEMO_PASSWORD)
    form.locator("input[name=password2]").fill(DEMO_PASSWORD)
    form.locator("select[name=assignments-0-role]").select_option(role)
    if office:
        autocomplete(page, "id_assignments-0-office", office)
    if programme:
        autocomplete(page, "id_assignments-0-programme", programme)
    if country:
        form.locator("select[name=assignments-0-country]").select_option(country)
    admin_save(page, form)


def institution_add(page):
    form = admin_page(page, "reception/institution/add/")
    form.locator("input[name=name]").fill("Servicio Público de Empleo — Cúcuta")
    form.locator("select[name=country]").select_option("CO")
    form.locator("input[name=municipality]").fill("Cúcuta")
    form.locator("input[name=services][value=employment]").check()
    admin_save(page, form)


def kits_add(page):
    form = admin_page(page, "reception/kitstock/add/")
    autocomplete(page, "id_centre", "CO-CUC")
    form.locator("input[name=low_threshold]").fill("5")
    admin_save(page, form)
    form = admin_page(page, "reception/kitdelivery/add/")
    form.locator("select[name=centre]").select_option(label=str(Office.objects.get(code="CO-CUC")))
    form.locator("input[name=quantity]").fill("40")
    form.locator("input[name=received_on]").fill(f"{timezone.localdate():%Y-%m-%d}")
    admin_save(page, form)


def the_admin_sets_up_the_programme(page):
    sign_in(page, "admin")
    office_add(page, "PTY", "Ciudad de Panamá", "registration_booth", "PA")
    office_add(page, "CO-CUC", "Centro de recepción de Cúcuta", "reception_centre", "CO")
    programme_add(page)
    for staff in STAFF:
        user_add(page, *staff)
    institution_add(page)
    kits_add(page)
    page.goto("/")
    sign_out(page)


def the_caseworker_registers_and_submits(page) -> Case:
    sign_in(page, "caseworker_pty")
    page.goto("/cases/register/")
    main = page.locator("main")
    expect(main.locator("#id_programme")).to_have_value(str(Programme.objects.get(code="PAN-2021").pk))
    main.locator("#id_consent_type_0").check()
    main.locator("#id_destination_country").select_option("CO")
    main.locator("#id_how_heard").select_option("booth_outreach")
    for name, value in MAN.items():
        field = main.locator(f"#id_members-0-{name}")
        field.select_option(value) if name in ("sex", "nationality") else field.fill(value)
    main.get_by_test_id("register-submit").click()
    page.wait_for_url("**/cases/*/")
    case = Case.objects.get(registering_office__code="PTY")
    member = case.members.get()

    main = open_screening_tab(page, case)
    main.get_by_test_id("new-session").click()
    form = page.locator("main form[data-testid=screening-form]")
    form.locator("input[name=language]").fill("español")
    for topic in TOPICS:
        form.locator(f"input[name=topics][value={topic}]").check()
    form.locator("select[name=outcome]").select_option("wishes_to_return")
    save_form(page, case)
    main.get_by_test_id(f"screen-{member.pk}").click()
    page.locator("main input[name=fear_of_return][value=no]").check()
    save_form(page, case)
    main.get_by_test_id(f"declaration-new-{member.pk}").click()
    page.locator("main input[name=witness]").fill("Personal de la OIM")
    save_form(page, case)
    expect(main.get_by_test_id("checklist-complete")).to_be_visible()
    press_next_step(page, "pending_approval")
    page.wait_for_url(f"**/cases/{case.pk}/screening/")
    sign_out(page)
    return case


def the_supervisor_approves(page, case: Case):
    enrolled(User.objects.get(username="supervisor_pan"))  # sets up an authenticator, as the sign-in would ask
    sign_in(page, "supervisor_pan")
    page.goto("/cases/approvals/")
    row = page.locator(f"main [data-testid=approval-queue] tr[data-case='{case.reference}']")
    row.locator("input[name=case]").check()
    page.locator("main").get_by_test_id("approve-selected").click()
    expect(page.locator("main .alert-success")).to_contain_text(case.reference)
    sign_out(page)


def the_movement_officer_sends_him(page, case: Case) -> Movement:
    member = case.members.get()
    sign_in(page, "movement_pa")
    page.goto(f"/cases/{case.pk}/travel/")
    page.locator("main").get_by_test_id(f"travel-document-new-{member.pk}").click()
    form = page.locator("main form[data-testid=travel-document-form]")
    form.locator("select[name=type]").select_option("consular_document")
    form.locator("input[name=number]").fill("CO-EM-20210")
    form.locator("input[name=issuing_consulate]").fill("Consulado de Colombia en Panamá")
    form.locator("input[name=issued_on]").fill(f"{timezone.localdate():%Y-%m-%d}")
    form.locator("input[name=expires_on]").fill(f"{timezone.localdate() + timedelta(days=90):%Y-%m-%d}")
    form.locator("select[name=status]").select_option("ready")
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"**/cases/{case.pk}/travel/")

    departure = timezone.localtime() + timedelta(minutes=30)  # a departure is recorded within the hour before it
    page.goto("/movements/new/")
    form = page.locator("main form[data-testid=movement-form]")
    form.locator("select[name=mode]").select_option("bus")
    form.locator("input[name=carrier]").fill("Expreso del Darién")
    form.locator("input[name=vehicle]").fill("Bus 7")
    form.locator("select[name=departure_office]").select_option(label="Ciudad de Panamá (PTY)")
    form.locator("input[name=departure_place]").fill("Terminal de Albrook")
    form.locator("input[name=departure_at]").fill(departure.strftime("%Y-%m-%dT%H:%M"))
    form.locator("select[name=reception_centre]").select_option(label="Centro de recepción de Cúcuta (CO-CUC)")
    form.locator("input[name=capacity]").fill("10")
    form.locator("input[name='legs-0-crossing_point']").fill("Paso Canoas")
    form.locator("input[name='legs-0-expected_at']").fill((departure + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"))
    form.get_by_test_id("save-movement").click()
    page.wait_for_url("**/movements/*/")
    movement = Movement.objects.get(carrier="Expreso del Darién")
    main = page.locator("main")
    main.locator("[data-testid=booking] select[name=case]").select_option(str(case.pk))
    main.get_by_test_id("book").click()
    expect(main.locator(f"[data-testid=passengers] tr[data-case='{case.reference}']")).to_have_count(1)
    main.locator("button[data-to=confirmed]").click()
    expect(main.get_by_test_id("movement-status")).to_have_attribute("data-status", "confirmed")
    main.locator("button[data-to=departed]").click()
    page.get_by_test_id("confirm-dialog").get_by_test_id("confirm-yes").click()
    expect(main.get_by_test_id("movement-status")).to_have_attribute("data-status", "departed")
    sign_out(page)
    return movement


def the_centre_receives_him(page, case: Case, movement: Movement):
    member = case.members.get()
    sign_in(page, "reception_co")
    main = page.locator("main")
    page.locator("nav [data-nav=arrivals]").click()
    main.get_by_test_id(f"check-in-{movement.reference}").click()
    main.get_by_test_id(f"arrived-{member.pk}").click()
    expect(main.locator(f"[data-testid=scan-result][data-member='{member.pk}']")).to_have_attribute(
        "data-household-arrived", "true")

    main.get_by_test_id(f"assistance-{member.pk}").click()
    form = main.get_by_test_id("assistance-form")
    form.locator("select[name=kind]").select_option("hygiene_kit")
    form.locator("button[type=submit]").click()
    expect(main.locator("[data-testid=given] [data-kind=hygiene_kit]")).to_be_visible()
    form.locator("select[name=kind]").select_option("transport_money")
    form.locator("input[name=amount]").fill("40")
    form.locator("select[name=currency]").select_option("USD")
    form.locator("button[type=submit]").click()
    expect(main.locator("[data-testid=given] [data-kind=transport_money]")).to_contain_text("40")

    page.goto(f"/reception/members/{member.pk}/referrals/new/")
    form = main.get_by_test_id("referral-form")
    form.locator("select[name=institution]").select_option(label="Servicio Público de Empleo — Cúcuta (Cúcuta)")
    form.locator("select[name=service]").select_option("employment")
    form.get_by_test_id("refer").click()
    consent = main.get_by_test_id("consent-missing")
    consent.locator("input[name=consent_given]").check()
    consent.get_by_test_id("record-consent").click()
    page.wait_for_url(f"**/cases/{case.pk}/reception/")
    expect(main.locator("[data-testid=case-referrals] tr[data-status=sent]")).to_contain_text(member.full_name)
    sign_out(page)


def the_supervisor_closes(page, case: Case):
    sign_in(page, "supervisor_pan")
    page.goto(f"/cases/{case.pk}/reception/")
    close = page.locator("main").get_by_test_id("close-case")
    close.locator("select[name=reason]").select_option("completed")
    close.get_by_test_id("close-case-button").click()
    page.get_by_test_id("confirm-dialog").get_by_test_id("confirm-yes").click()
    with translation.override("es"):
        closed = str(CaseStatus.CLOSED.label)
    expect(page.locator("main").get_by_test_id("case-status")).to_have_text(closed)


def test_an_admin_sets_up_a_third_programme_in_the_admin_and_its_staff_carry_a_case_to_closure(page):
    # when the admin sets up offices, programme, staff, an institution and kits in the Django admin only
    the_admin_sets_up_the_programme(page)

    # then everything is there, with the roles as assigned
    programme = Programme.objects.get(code="PAN-2021")
    assert (programme.registration_countries, programme.return_countries) == (["PA"], ["CO"])
    roles = {(a.user.username, a.role, a.office and a.office.code, a.programme and a.programme.code, a.country)
             for a in Assignment.objects.filter(user__username__in=[s[0] for s in STAFF])}
    assert roles == set(STAFF)
    assert Institution.objects.get(country="CO").services == ["employment"]
    assert KitStock.objects.get(centre__code="CO-CUC").low_threshold == 5
    assert KitDelivery.objects.get(centre__code="CO-CUC").recorded_by.username == "admin"

    # when its staff carry one man from the Panama booth to the Colombian centre and close his case
    case = the_caseworker_registers_and_submits(page)
    the_supervisor_approves(page, case)
    movement = the_movement_officer_sends_him(page, case)
    the_centre_receives_him(page, case, movement)
    the_supervisor_closes(page, case)

    # then the case is closed, completed, with its document, assistance and referral recorded
    case = Case.objects.get(pk=case.pk)
    assert (case.programme, case.registration_country, case.reception_centre.code) == (programme, "PA", "CO-CUC")
    assert (case.status, case.closure_reason) == ("closed", "completed")
    member = case.members.get()
    assert TravelDocument.objects.get(member=member).status == "ready"
    assert sorted(Assistance.objects.filter(member=member).values_list("kind", flat=True)) == [
        "hygiene_kit", "transport_money"]
    assert Referral.objects.get(member=member).institution.country == "CO"
