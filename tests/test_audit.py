"""The audit log: append-only in the database; changes, reads and logins are all written."""

import pytest
from django.db import IntegrityError, InternalError, ProgrammingError, connection, transaction

from audit.models import AuditEvent
from tests.conftest import api_as
from tests.factories import PASSWORD, household

pytestmark = pytest.mark.django_db

REFUSED = (InternalError, ProgrammingError, IntegrityError)


@pytest.fixture
def event(caseworker):
    return AuditEvent.objects.create(actor=caseworker, actor_username=caseworker.username, action="view")


@pytest.mark.smoke
def test_the_database_refuses_to_update_an_audit_event(event):
    with pytest.raises(REFUSED, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE audit_auditevent SET actor_username = 'someone else' WHERE id = %s", [event.pk])

    event.refresh_from_db()
    assert event.actor_username == "cw_tij"


def test_the_database_refuses_to_delete_an_audit_event(event):
    with pytest.raises(REFUSED, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])

    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_the_orm_cannot_rewrite_history_either(event):
    with pytest.raises(REFUSED), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(reason="tampered")
    with pytest.raises(REFUSED), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()

    assert AuditEvent.objects.get(pk=event.pk).reason == ""


def test_a_change_to_a_case_is_recorded_with_who_which_columns_and_sealed_before_and_after(
        caseworker, caravan, tij, admin_user):
    case = household(actor=caseworker, programme=caravan, office=tij)
    from audit.services import audit_actor_set, audit_values_read

    with transaction.atomic():
        audit_actor_set(actor=caseworker)
        case.destination_country = "SV"
        case.save()

    change = AuditEvent.objects.filter(action="update", object_type="cases_case", object_id=str(case.pk)).get()
    assert change.actor_id == caseworker.pk
    assert change.actor_username == "cw_tij"
    assert change.changes["columns"] == ["destination_country"]
    assert "before" not in change.changes and "after" not in change.changes
    values = audit_values_read(actor=admin_user, entry=change, reason="Checking a disputed destination change")
    assert values == {"before": {"destination_country": "HN"}, "after": {"destination_country": "SV"}}


def test_a_bulk_update_is_recorded_row_by_row(caseworker, caravan, tij):
    first = household(actor=caseworker, programme=caravan, office=tij)
    second = household(actor=caseworker, programme=caravan, office=tij)

    from cases.models import Case

    Case.objects.filter(pk__in=[first.pk, second.pk]).update(destination_country="GT")

    recorded = set(AuditEvent.objects.filter(action="update", object_type="cases_case").values_list("object_id", flat=True))
    assert recorded == {str(first.pk), str(second.pk)}


def test_a_users_password_hash_and_names_never_reach_the_audit_log_only_that_they_changed(caseworker):
    caseworker.set_password("another-long-password")
    caseworker.first_name = "Lucía"
    caseworker.save()

    change = AuditEvent.objects.filter(object_type="accounts_user", action="update").latest("id")
    assert change.changes["columns"] == ["first_name", "password"]
    for event in AuditEvent.objects.filter(object_type="accounts_user"):
        assert caseworker.password not in str(event.changes)
        assert "pbkdf2" not in str(event.changes) and "md5$" not in str(event.changes)
        assert "Lucía" not in str(event.changes)


def test_every_view_of_a_case_is_audited(caseworker, caravan, tij):
    case = household(actor=caseworker, programme=caravan, office=tij)

    api_as(caseworker).get(f"/api/v1/cases/{case.pk}/")

    view = AuditEvent.objects.get(action="view", object_id=str(case.pk))
    assert view.actor == caseworker
    assert view.object_type == "cases.case"
    assert view.path == f"/api/v1/cases/{case.pk}/"


def test_a_list_of_cases_is_audited_with_the_cases_shown(client, caseworker, caravan, tij):
    case = household(actor=caseworker, programme=caravan, office=tij)
    client.force_login(caseworker)

    client.get("/cases/")

    listed = AuditEvent.objects.get(action="list", actor=caseworker, path="/cases/")
    assert listed.object_ids == [case.pk]


def test_a_search_leaves_what_was_typed_out_of_the_log_and_keeps_the_coded_filters(client, caseworker, caravan, tij):
    case = household(actor=caseworker, programme=caravan, office=tij)
    name = case.members.get(relationship="principal").family_names
    client.force_login(caseworker)

    client.get("/cases/", {"q": name, "status": "registered", "office": "TIJ"})
    api_as(caseworker).get("/api/v1/cases/", {"q": name})

    paths = list(AuditEvent.objects.filter(action="list", actor=caseworker).values_list("path", flat=True))
    assert sorted(paths) == ["/api/v1/cases/?q=%E2%80%A6", "/cases/?q=%E2%80%A6&status=registered&office=TIJ"]
    assert not AuditEvent.objects.filter(path__icontains=name.split()[0]).exists()


def test_the_admins_search_box_is_withheld_and_its_filters_kept(client, admin_user):
    client.force_login(admin_user)

    client.get("/admin/audit/auditevent/", {"q": "Hernández", "action": "view", "at__year": "2026", "o": "1"})

    read = AuditEvent.objects.get(action="list", object_type="audit.auditevent")
    assert read.path == "/admin/audit/auditevent/?q=%E2%80%A6&action=view&at__year=2026&o=1"


def test_a_failed_login_keeps_no_query_values_either(client):
    client.post("/accounts/login/?next=/cases/%3Fq%3DHern%C3%A1ndez", {"username": "nobody", "password": "x"})

    failed = AuditEvent.objects.get(action="login_failed")
    assert failed.path == "/accounts/login/?next=%E2%80%A6"


def test_logins_and_failed_logins_are_audited(client, caseworker):
    client.post("/accounts/login/", {"username": "cw_tij", "password": "wrong"})
    client.post("/accounts/login/", {"username": "cw_tij", "password": PASSWORD})

    actions = list(AuditEvent.objects.filter(actor_username="cw_tij", action__startswith="login")
                   .order_by("id").values_list("action", flat=True))
    assert actions == ["login_failed", "login"]
    assert "wrong" not in str(list(AuditEvent.objects.values()))


def test_an_admin_can_browse_and_filter_the_audit_log_but_not_change_it(client, admin_user, event):
    client.force_login(admin_user)

    listing = client.get("/admin/audit/auditevent/?action__exact=view")
    change_page = client.get(f"/admin/audit/auditevent/{event.pk}/change/")
    delete_page = client.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"})

    assert listing.status_code == 200
    assert "cw_tij" in listing.content.decode()
    assert change_page.status_code == 200  # read-only view
    assert delete_page.status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_staff_who_appear_in_the_log_cannot_be_deleted(caseworker, event):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        caseworker.delete()
