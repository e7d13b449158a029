"""The Django admin: the audit log shows no value and every look at it is logged; case records are read-only."""

from datetime import date

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from accounts.choices import Role
from accounts.models import Assignment
from accounts.services import user_role_groups_sync
from audit.models import AuditEvent
from cases.models import Case, Member
from cases.registration import MemberInput
from tests.factories import ProgrammeFactory, UserFactory, household, staff

pytestmark = pytest.mark.django_db

SENTINEL = "Centinela-ñ-7731"
CASE_NOTE = "Tiene miedo de regresar a su colonia."  # the caseworker note every test household carries


@pytest.fixture
def sentinel_case(caseworker, caravan, tij):
    person = MemberInput(given_names=SENTINEL, family_names="Hernández López", sex="female",
                         date_of_birth=date(1990, 3, 14), nationality="HN", document_type="passport",
                         document_number="PSENT1", place_of_origin="San Pedro Sula")
    case = household(actor=caseworker, programme=caravan, office=tij, people=[person])
    Member.objects.filter(case=case).update(phone="+504 9999-7731")
    return case


@pytest.fixture
def supervising_admin(caravan):
    """A supervisor who is also an admin: the one kind of user who reaches a case in the Django admin."""
    user = staff("sup_hq", Role.SUPERVISOR, programme=caravan, country="MX")
    Assignment.objects.create(user=user, role=Role.ADMIN)
    user_role_groups_sync(user=user)
    return user


def member_line(case) -> AuditEvent:
    return AuditEvent.objects.filter(object_type="cases_member", action="update",
                                     object_id=str(case.members.get().pk)).get()


def test_the_audit_list_and_detail_name_the_changed_columns_and_show_no_value(client, admin_user, sentinel_case):
    entry = member_line(sentinel_case)
    client.force_login(admin_user)

    listing = client.get("/admin/audit/auditevent/").content.decode()
    detail = client.get(f"/admin/audit/auditevent/{entry.pk}/change/").content.decode()

    assert "cases_member" in listing and "phone" in listing
    assert "phone" in detail
    for page in (listing, detail):
        assert SENTINEL not in page
        assert "9999-7731" not in page
        assert entry.changes["sealed"] not in page


def test_no_admin_page_shows_a_members_name(client, admin_user, sentinel_case):
    client.force_login(admin_user)
    pages = ["/admin/"] + [reverse(f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist")
                           for m in admin.site._registry]
    pages.append(f"/admin/audit/auditevent/{member_line(sentinel_case).pk}/change/")

    for page in pages:
        response = client.get(page)
        assert response.status_code in (200, 302, 403), page
        assert SENTINEL not in response.content.decode(), page


def test_listing_the_audit_log_is_itself_audited_with_the_lines_shown(client, admin_user, sentinel_case):
    entry = member_line(sentinel_case)
    client.force_login(admin_user)

    client.get("/admin/audit/auditevent/?object_type=cases_member")

    read = AuditEvent.objects.get(action="list", object_type="audit.auditevent")
    assert read.actor == admin_user
    assert entry.pk in read.object_ids
    assert read.path == "/admin/audit/auditevent/?object_type=cases_member"


def test_opening_an_audit_line_is_itself_audited(client, admin_user, sentinel_case):
    entry = member_line(sentinel_case)
    client.force_login(admin_user)

    client.get(f"/admin/audit/auditevent/{entry.pk}/change/")

    read = AuditEvent.objects.get(action="view", object_type="audit.auditevent")
    assert (read.actor, read.object_id) == (admin_user, str(entry.pk))


def test_a_search_of_the_audit_log_is_not_shown_back_on_the_list(client, admin_user, sentinel_case):
    client.force_login(admin_user)
    client.get("/admin/audit/auditevent/", {"q": SENTINEL})

    listing = client.get("/admin/audit/auditevent/").content.decode()

    assert SENTINEL not in listing


def test_the_admins_case_form_is_read_only_and_a_posted_programme_changes_nothing(
        client, supervising_admin, sentinel_case):
    other = ProgrammeFactory(code="OTHER")
    url = f"/admin/cases/case/{sentinel_case.pk}/change/"
    client.force_login(supervising_admin)
    before = Case.objects.values().get(pk=sentinel_case.pk)

    page = client.get(url)
    posted = client.post(url, {"programme": other.pk, "registering_office": sentinel_case.registering_office_id,
                               "reception_centre": "", "status": "approved", "version": before["version"]})

    assert page.status_code == 200
    assert sentinel_case.reference in page.content.decode()
    assert 'name="programme"' not in page.content.decode()
    assert posted.status_code == 403
    assert Case.objects.values().get(pk=sentinel_case.pk) == before


def test_the_admins_case_form_shows_no_note_and_no_personal_field(client, supervising_admin, sentinel_case):
    client.force_login(supervising_admin)

    page = client.get(f"/admin/cases/case/{sentinel_case.pk}/change/").content.decode()

    assert CASE_NOTE not in page
    assert SENTINEL not in page
    assert "has_protection_flag" not in page


def test_cases_cannot_be_added_or_deleted_in_the_admin(client, supervising_admin, sentinel_case):
    client.force_login(supervising_admin)

    added = client.post("/admin/cases/case/add/", {"reference": "X-1"})
    deleted = client.post(f"/admin/cases/case/{sentinel_case.pk}/delete/", {"post": "yes"})

    assert added.status_code == 403
    assert deleted.status_code == 403
    assert Case.objects.filter(pk=sentinel_case.pk).exists()
    assert Case.objects.count() == 1


def test_no_admin_page_of_a_stage_lets_anyone_write_a_case_member_or_their_records(db):
    """Members, screening, travel and reception records change only through their services."""
    superuser = UserFactory(username="root", is_superuser=True, is_staff=True)
    request = RequestFactory().get("/admin/")
    request.user = superuser
    # headquarters' reference data, no person in it: the directory, kit stocks, follow-up plans and questionnaires
    directories = {"reception.institution", "reception.kitstock", "reception.followupplan", "reception.instrument",
                   "reception.instrumentversion", "reception.kitdelivery"}

    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in {"cases", "screening", "travel", "reception"}:
            continue
        if model._meta.label_lower in directories:
            continue
        assert not model_admin.has_add_permission(request), model
        assert not model_admin.has_change_permission(request), model
        assert not model_admin.has_delete_permission(request), model


def test_the_approval_action_is_still_offered_on_the_read_only_case_list(client, supervising_admin, sentinel_case):
    client.force_login(supervising_admin)

    listing = client.get("/admin/cases/case/")

    assert listing.status_code == 200
    assert 'value="approve_selected"' in listing.content.decode()
    assert sentinel_case.reference in listing.content.decode()
