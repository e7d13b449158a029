"""Break-the-glass: time-limited, read-only access to one case outside one's work, with a reason, audited,
notified and reviewed."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import timezone, translation

from accounts.choices import Role
from audit.models import AuditAction, AuditEvent
from breakglass.models import BreakGlassGrant
from notifications.models import Notification, NotificationKind
from notifications.services import notification_text
from outbox.models import OutboxMessage
from tests.factories import PASSWORD, UserFactory, household, staff

pytestmark = pytest.mark.django_db

REASON = "La familia llamó desde el albergue: urgencia médica, su supervisora no responde."


@pytest.fixture
def case(caseworker, caravan, tij):
    return household(actor=caseworker, programme=caravan, office=tij)


@pytest.fixture
def other_case(caseworker, caravan, tij):
    from cases.registration import MemberInput
    from datetime import date

    return household(actor=caseworker, programme=caravan, office=tij, people=[
        MemberInput(given_names="Rosa", family_names="Mejía", sex="female", date_of_birth=date(1985, 5, 5),
                    nationality="HN", document_type="passport", document_number="PX999", place_of_origin="Tela")])


@pytest.fixture
def focal_point(caravan):
    user = UserFactory(username="dp_focal")
    caravan.data_protection_focal_point = user
    caravan.save(update_fields=["data_protection_focal_point"])
    return user


def ask(client, case, reason=REASON, password=PASSWORD, language="en"):
    return client.post(reverse("api-case-break-glass", args=[case.pk]), {"reason": reason, "password": password},
                       format="json", HTTP_ACCEPT_LANGUAGE=language)


def api_client(user):
    from rest_framework.test import APIClient

    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def test_a_supervisor_of_another_programme_gets_read_only_access_for_two_hours(other_supervisor, case):
    before = timezone.now()

    response = ask(api_client(other_supervisor), case)

    assert response.status_code == 201
    grant = BreakGlassGrant.objects.get()
    assert (grant.user, grant.case, grant.reason) == (other_supervisor, case, REASON)
    assert response.json()["reference"] == case.reference
    assert timedelta(hours=2) <= grant.expires_at - before <= timedelta(hours=2, seconds=30)


def test_the_length_of_the_access_is_a_setting(settings, admin_user, case):
    settings.AVR_BREAK_GLASS_HOURS = 5

    ask(api_client(admin_user), case)

    grant = BreakGlassGrant.objects.get()
    assert timedelta(hours=4, minutes=59) < grant.expires_at - grant.granted_at <= timedelta(hours=5)


@pytest.mark.parametrize("reason", ["", "   ", "urgente", "x" * 19])
def test_access_is_refused_without_a_reason_that_says_enough(admin_user, case, reason):
    response = ask(api_client(admin_user), case, reason=reason)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and "20" in body["fields"]["reason"][0]
    assert not BreakGlassGrant.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.BREAK_GLASS).exists()


def test_a_wrong_password_is_refused_and_counts_as_a_failed_sign_in(admin_user, case):
    response = ask(api_client(admin_user), case, password="not-my-password")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_credentials"
    assert response.json()["detail"] == "Wrong password. Nothing was granted."
    assert not BreakGlassGrant.objects.exists()
    assert AccessAttempt.objects.filter(username=admin_user.username).exists()
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED, actor_username=admin_user.username).exists()


def test_a_wrong_password_is_explained_in_spanish(admin_user, case):
    client = api_client(admin_user)

    response = client.post(reverse("api-case-break-glass", args=[case.pk]), {"reason": REASON, "password": "x"},
                           format="json", HTTP_ACCEPT_LANGUAGE="es")

    assert response.status_code == 400
    assert response.json()["detail"] == "Contraseña incorrecta. No se concedió nada."
    assert not BreakGlassGrant.objects.exists()


def test_someone_who_already_sees_the_case_is_told_so(supervisor, case):
    response = ask(api_client(supervisor), case)

    assert response.status_code == 409
    assert response.json()["code"] == "already_visible"
    assert not BreakGlassGrant.objects.exists()


@pytest.mark.parametrize("persona", ["outsider", "movement_officer", "reception"])
def test_staff_whose_work_never_calls_for_it_get_404(request, persona, case):
    response = ask(api_client(request.getfixturevalue(persona)), case)

    assert response.status_code == 404
    assert not BreakGlassGrant.objects.exists()


def test_an_inactive_user_never_gets_access(admin_user, case):
    admin_user.is_active = False
    admin_user.save(update_fields=["is_active"])

    response = ask(api_client(admin_user), case)

    assert response.status_code == 404
    assert not BreakGlassGrant.objects.exists()


def test_a_missing_case_and_a_refused_one_look_the_same(admin_user, case):
    client = api_client(admin_user)

    missing = client.post(reverse("api-case-break-glass", args=[case.pk + 1000]),
                          {"reason": "short", "password": PASSWORD}, format="json")
    existing = ask(client, case, reason="short")

    assert missing.status_code == existing.status_code == 400
    assert missing.json() == existing.json()
    assert not BreakGlassGrant.objects.exists()


def test_under_a_grant_the_case_page_and_the_api_detail_answer_with_the_banner(client, admin_user, case, other_case):
    ask(api_client(admin_user), case)
    client.force_login(admin_user)

    page = client.get(reverse("case_detail", args=[case.pk]), HTTP_ACCEPT_LANGUAGE="en")
    detail = api_client(admin_user).get(reverse("api-case-detail", args=[case.pk]))

    assert page.status_code == 200 and 'data-testid="break-glass-banner"' in page.content.decode()
    assert "Emergency access until" in page.content.decode()
    assert detail.status_code == 200 and detail.json()["reference"] == case.reference
    assert client.get(reverse("case_detail", args=[other_case.pk])).status_code == 404
    assert api_client(admin_user).get(reverse("api-case-detail", args=[other_case.pk])).status_code == 404


def test_the_grant_reads_but_never_writes(admin_user, case):
    ask(api_client(admin_user), case)
    client = api_client(admin_user)

    edit = client.patch(reverse("api-case-detail", args=[case.pk]), {"version": case.version, "how_heard": "shelter"},
                        format="json")
    move = client.post(reverse("api-case-transitions", args=[case.pk]), {"to": "screening"}, format="json")

    assert edit.status_code == 404 and move.status_code == 404
    case.refresh_from_db()
    assert case.how_heard != "shelter" and case.status == "registered"


def test_the_grant_leaves_out_the_restricted_notes(admin_user, case):
    ask(api_client(admin_user), case)

    body = api_client(admin_user).get(reverse("api-case-detail", args=[case.pk])).json()

    assert "caseworker_notes" not in body
    assert "Tiene miedo" not in str(body)


def test_after_it_expires_the_case_is_404_again(client, admin_user, case):
    ask(api_client(admin_user), case)
    BreakGlassGrant.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    client.force_login(admin_user)

    assert client.get(reverse("case_detail", args=[case.pk])).status_code == 404
    assert api_client(admin_user).get(reverse("api-case-detail", args=[case.pk])).status_code == 404


def test_the_list_pages_do_not_show_the_case(client, other_supervisor, case):
    ask(api_client(other_supervisor), case)
    client.force_login(other_supervisor)

    listed = api_client(other_supervisor).get(reverse("api-case-list")).json()["results"]
    page = client.get(reverse("case_list")).content.decode()

    assert listed == [] and case.reference not in page


def test_the_grant_and_every_view_under_it_are_audited_with_the_reason(client, admin_user, case):
    ask(api_client(admin_user), case)
    grant = BreakGlassGrant.objects.get()
    client.force_login(admin_user)
    client.get(reverse("case_detail", args=[case.pk]))

    granted = AuditEvent.objects.get(action=AuditAction.BREAK_GLASS)
    assert (granted.actor, granted.object_type, granted.object_id) == (admin_user, "cases.case", str(case.pk))
    row = AuditEvent.objects.get(object_type="breakglass_breakglassgrant", object_id=str(grant.pk), action="insert")
    from audit.services import audit_values_read

    values = audit_values_read(actor=admin_user, entry=row, reason="Checking the break-glass audit trail.")
    assert values["after"]["reason"] == REASON
    view = AuditEvent.objects.filter(action=AuditAction.VIEW, object_id=str(case.pk), actor=admin_user).get()
    assert view.reason == "break_glass"


def test_the_supervisors_and_the_focal_point_are_notified_without_names(admin_user, supervisor, other_supervisor,
                                                                        focal_point, case,
                                                                        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ask(api_client(admin_user), case)

    notes = list(Notification.objects.all())
    assert {n.recipient for n in notes} == {supervisor, focal_point}
    assert all(n.kind == NotificationKind.BREAK_GLASS and n.params == {"reference": case.reference} for n in notes)
    with translation.override("en"):
        text = notification_text(notes[0])
    assert case.reference in text and admin_user.username not in text and "María" not in text
    [message] = OutboxMessage.objects.filter(task="notifications.tasks.break_glass_notify")
    assert message.args == [BreakGlassGrant.objects.get().pk]


def test_no_notice_is_queued_for_a_refused_request(admin_user, case):
    ask(api_client(admin_user), case, password="wrong")

    assert not OutboxMessage.objects.exists()


def test_the_focal_point_is_set_in_the_admin(client, admin_user, caravan, focal_point):
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)

    page = client.get(reverse("admin:accounts_programme_change", args=[caravan.pk])).content.decode()

    assert 'name="data_protection_focal_point"' in page


def test_the_review_queue_lists_the_grant_and_the_menu_counts_it(client, admin_user, supervisor, case):
    ask(api_client(admin_user), case)
    client.force_login(supervisor)

    home = client.get(reverse("home")).content.decode()
    queue = client.get(reverse("break_glass_review")).content.decode()

    assert 'data-testid="break-glass-waiting">1<' in home
    assert case.reference in queue and REASON in queue and admin_user.username in queue


def test_a_supervisor_marks_a_grant_reviewed_and_it_is_audited(client, admin_user, supervisor, case):
    ask(api_client(admin_user), case)
    grant = BreakGlassGrant.objects.get()
    client.force_login(supervisor)

    response = client.post(reverse("break_glass_reviewed", args=[grant.pk]), {"note": "Justificado."})

    assert response.status_code == 302
    grant.refresh_from_db()
    assert (grant.reviewed_by, grant.review_note) == (supervisor, "Justificado.") and grant.reviewed_at
    assert AuditEvent.objects.filter(action=AuditAction.BREAK_GLASS_REVIEW, actor=supervisor).exists()
    assert 'data-testid="break-glass-waiting"' not in client.get(reverse("home")).content.decode()


def test_someone_outside_the_case_cannot_review_it(client, admin_user, other_supervisor, case):
    ask(api_client(admin_user), case)
    grant = BreakGlassGrant.objects.get()
    client.force_login(other_supervisor)

    response = client.post(reverse("break_glass_reviewed", args=[grant.pk]), {"note": "Visto."})

    assert response.status_code == 404
    grant.refresh_from_db()
    assert grant.reviewed_at is None
    assert case.reference not in client.get(reverse("break_glass_review")).content.decode()


def test_the_page_asks_by_reference_and_opens_the_case_with_the_banner(client, admin_user, case):
    client.force_login(admin_user)

    response = client.post(reverse("break_glass_request"),
                           {"reference": case.reference, "reason": REASON, "password": PASSWORD}, follow=True)

    assert response.status_code == 200
    assert 'data-testid="break-glass-banner"' in response.content.decode()
    assert BreakGlassGrant.objects.get().case == case


@pytest.mark.parametrize("reference", ["TIJ-2018-9999", "exists"])
def test_the_page_says_the_same_for_a_missing_reference_and_a_short_reason(client, admin_user, case, reference):
    client.force_login(admin_user)
    reference = case.reference if reference == "exists" else reference

    response = client.post(reverse("break_glass_request"),
                           {"reference": reference, "reason": "porque sí", "password": PASSWORD},
                           HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert "at least 20 characters" in response.content.decode()
    assert not BreakGlassGrant.objects.exists()


def test_the_page_explains_an_unknown_reference_in_spanish(client, admin_user, case):
    admin_user.language = "es"
    admin_user.save(update_fields=["language"])
    client.force_login(admin_user)

    response = client.post(reverse("break_glass_request"),
                           {"reference": "TIJ-2018-9999", "reason": REASON, "password": PASSWORD},
                           HTTP_ACCEPT_LANGUAGE="es")

    assert response.status_code == 400
    assert "Ningún caso" in response.content.decode()
    assert not BreakGlassGrant.objects.exists()


def test_the_page_refuses_a_wrong_password(client, admin_user, case):
    client.force_login(admin_user)

    response = client.post(reverse("break_glass_request"),
                           {"reference": case.reference, "reason": REASON, "password": "nope"},
                           HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert "Wrong password. Nothing was granted." in response.content.decode()
    assert not BreakGlassGrant.objects.exists()


def test_the_request_page_is_404_for_a_caseworker(client, caseworker):
    client.force_login(caseworker)

    assert client.get(reverse("break_glass_request")).status_code == 404


def test_a_second_supervisor_role_keeps_the_case_visible_normally(caravan, case):
    user = staff("sup_gt", Role.SUPERVISOR, programme=caravan)

    assert ask(api_client(user), case).status_code == 409


def test_too_many_wrong_passwords_lock_the_account_out(settings, admin_user, case):
    client = api_client(admin_user)
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        ask(client, case, password="wrong")

    response = ask(client, case)

    assert response.status_code == 429
    assert response.json()["code"] == "locked_out" and response.headers["Retry-After"]
    assert not BreakGlassGrant.objects.exists()


def test_the_focal_point_reviews_without_being_a_supervisor(client, admin_user, focal_point, case):
    ask(api_client(admin_user), case)
    grant = BreakGlassGrant.objects.get()
    client.force_login(focal_point)

    assert case.reference in client.get(reverse("break_glass_review")).content.decode()
    client.post(reverse("break_glass_reviewed", args=[grant.pk]), {"note": ""})

    grant.refresh_from_db()
    assert grant.reviewed_by == focal_point


def test_the_review_queue_is_404_for_whom_reviews_nothing(client, caseworker):
    client.force_login(caseworker)

    assert client.get(reverse("break_glass_review")).status_code == 404


def test_the_case_page_under_a_grant_offers_no_tab_nor_edit(client, admin_user, case):
    ask(api_client(admin_user), case)
    client.force_login(admin_user)

    page = client.get(reverse("case_detail", args=[case.pk])).content.decode()

    assert 'data-testid="case-tabs"' not in page and 'data-testid="edit-case"' not in page
    assert client.get(reverse("case_travel", args=[case.pk])).status_code == 404


def test_a_nul_in_the_reason_is_refused(admin_user, case):
    from breakglass.services import break_glass_reason_checked
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        break_glass_reason_checked(REASON + "\x00")

    assert "not allowed" in str(refused.value)
    assert not BreakGlassGrant.objects.exists()
