"""A consent withdrawn for follow-up or sharing stops each use at once: one test per door that used it."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.dashboard import reception_panel
from accounts.models import User
from audit.models import AuditEvent
from cases.models import Case, Consent
from cases.permissions import cases_visible_to
from notifications.models import Notification
from notifications.services import follow_ups_due_notifications_create
from reception import services as reception_services
from reception.models import FollowUp, Institution, Referral
from screening.services import member_consent_record
from tests.conftest import api_as
from tests.reception_steps import approved, convoy, departed, documents_ready
from tests.screening_steps import family
from travel import services as travel_services

pytestmark = pytest.mark.django_db


def escorted_convoy(officer, tij, sps):
    bus = convoy(officer, tij, sps)
    travel_services.escort_add(actor=officer, movement_id=bus.pk, data={"name": "Lucía", "kind": "child"})
    return bus


@pytest.fixture
def returned(caseworker, supervisor, movement_officer, reception, caravan, tij, sps):
    return returned_with_a_call(caseworker, supervisor, movement_officer, reception, caravan, tij, sps)


def returned_with_a_call(caseworker, supervisor, movement_officer, reception, caravan, tij, sps):
    """A family who agreed to follow-up calls (Ana Lucía), arrived at San Pedro Sula; her call is scheduled."""
    caravan.follow_up_months = 2
    caravan.save()
    case = family(actor=caseworker, programme=caravan, office=tij)
    ana = case.members.get(given_names="Ana Lucía")
    member_consent_record(actor=caseworker, member_id=ana.pk, data={"scope": "follow_up", "type": "explicit",
                                                                    "given_on": timezone.localdate()})
    approved(case, caseworker, supervisor)
    documents_ready(case, movement_officer)
    bus = departed(escorted_convoy(movement_officer, tij, sps), movement_officer, [case])
    for member in case.members.all():
        api_as(reception).post(f"/api/v1/movements/{bus.pk}/check-ins/", {"member": member.pk}, format="json")
    case.refresh_from_db()
    assert case.status == "arrived" and FollowUp.objects.filter(member=ana).count() == 1
    return case


@pytest.fixture
def ana(returned):
    return returned.members.get(given_names="Ana Lucía")


@pytest.fixture
def follow_up_consent(ana):
    return ana.consents.get(scope="follow_up")


@pytest.fixture
def employment(db):
    return employment_service()


def employment_service() -> Institution:
    return Institution.objects.create(name="Servicio Nacional de Empleo de Honduras", country="HN",
                                      municipality="San Pedro Sula", services=["employment"])


@pytest.fixture
def referral(reception, ana, employment):
    reception_services.referral_consent_record(actor=reception, member_id=ana.pk, institution_id=employment.pk,
                                               service="employment")
    return reception_services.referral_create(actor=reception, member_id=ana.pk, institution_id=employment.pk,
                                              service="employment")


def withdraw(user, consent):
    return api_as(user).post(f"/api/v1/consents/{consent.pk}/withdraw/")


def signed_in(client, user):
    User.objects.filter(pk=user.pk).update(language="en")
    client.force_login(user)
    return client


def test_a_consent_is_withdrawn_after_the_return_and_the_call_not_yet_made_is_cancelled(caseworker, ana,
                                                                                         follow_up_consent):
    response = withdraw(caseworker, follow_up_consent)

    assert response.status_code == 200 and response.json()["withdrawn_on"] == timezone.localdate().isoformat()
    call = FollowUp.objects.get(member=ana)
    assert call.cancelled_on == timezone.localdate() and call.done_on is None


def test_withdrawing_twice_changes_nothing_more(caseworker, ana, follow_up_consent):
    withdraw(caseworker, follow_up_consent)
    FollowUp.objects.filter(member=ana).update(cancelled_on=timezone.localdate() - timedelta(days=3))

    again = withdraw(caseworker, follow_up_consent)

    assert again.status_code == 200
    assert FollowUp.objects.get(member=ana).cancelled_on == timezone.localdate() - timedelta(days=3)


@pytest.mark.parametrize("persona, status", [("outsider", 404), ("other_reception", 404)])
def test_only_the_case_team_and_the_centre_withdraw_a_consent_and_a_refusal_changes_nothing(request, persona, status,
                                                                                          ana, follow_up_consent):
    response = withdraw(request.getfixturevalue(persona), follow_up_consent)

    assert response.status_code == status
    assert response.json()["code"] == {404: "not_found", 403: "permission_denied"}[status]
    assert Consent.objects.get(pk=follow_up_consent.pk).withdrawn_on is None
    assert FollowUp.objects.get(member=ana).cancelled_on is None


def test_a_follow_up_call_is_refused_after_withdrawal_and_nothing_is_recorded(caseworker, reception, ana,
                                                                             follow_up_consent):
    withdraw(caseworker, follow_up_consent)

    response = api_as(reception).post(f"/api/v1/members/{ana.pk}/follow-ups/", {"reached": True}, format="json")

    assert response.status_code == 400
    assert "Ana Lucía Reyes Paz" in response.json()["detail"]
    assert list(FollowUp.objects.filter(member=ana).values_list("done_on", "reached")) == [(None, None)]


def test_the_daily_count_of_calls_due_and_its_notice_leave_out_the_withdrawn_person(caseworker, ana,
                                                                                    follow_up_consent):
    far = timezone.localdate() + timedelta(days=365)
    before = list(reception_services.follow_ups_due(today=far))

    withdraw(caseworker, follow_up_consent)

    assert [row["due"] for row in before] == [1]
    assert list(reception_services.follow_ups_due(today=far)) == []
    assert follow_ups_due_notifications_create(today=far) == []
    assert not Notification.objects.filter(kind="follow_ups_due").exists()


def test_a_consent_withdrawn_by_any_door_stops_the_count_even_before_the_call_is_cancelled(ana, follow_up_consent):
    Consent.objects.filter(pk=follow_up_consent.pk).update(withdrawn_on=timezone.localdate())

    far = timezone.localdate() + timedelta(days=365)
    assert list(reception_services.follow_ups_due(today=far)) == []


def test_the_follow_up_list_and_the_home_panel_no_longer_show_the_call(client, caseworker, reception, ana,
                                                                       follow_up_consent):
    FollowUp.objects.filter(member=ana).update(due_on=timezone.localdate())
    before = signed_in(client, reception).get(reverse("follow_up_list")).content.decode()
    panel_before = reception_panel(reception, cases_visible_to(reception))["follow_ups_due"]

    withdraw(caseworker, follow_up_consent)
    after = client.get(reverse("follow_up_list")).content.decode()

    assert reverse("follow_up_new", args=[ana.pk]) in before and panel_before == 1
    assert reverse("follow_up_new", args=[ana.pk]) not in after
    assert reception_panel(reception, cases_visible_to(reception))["follow_ups_due"] == 0


def test_no_call_is_scheduled_on_arrival_for_someone_who_withdrew_before(caseworker, supervisor, movement_officer,
                                                                         reception, caravan, tij, sps):
    caravan.follow_up_months = 2
    caravan.save()
    case = family(actor=caseworker, programme=caravan, office=tij)
    ana = case.members.get(given_names="Ana Lucía")
    consent = member_consent_record(actor=caseworker, member_id=ana.pk, data={
        "scope": "follow_up", "type": "explicit", "given_on": timezone.localdate()})
    withdraw(caseworker, consent)
    approved(case, caseworker, supervisor)
    documents_ready(case, movement_officer)
    bus = departed(escorted_convoy(movement_officer, tij, sps), movement_officer, [case])

    for member in case.members.all():
        api_as(reception).post(f"/api/v1/movements/{bus.pk}/check-ins/", {"member": member.pk}, format="json")

    assert Case.objects.get(pk=case.pk).status == "arrived"
    assert not FollowUp.objects.filter(member__case=case).exists()


def sharing_consent(referral):
    return Consent.objects.get(pk=referral.consent_id)


def test_a_new_referral_is_refused_after_the_sharing_consent_is_withdrawn(caseworker, reception, ana, employment,
                                                                         referral):
    withdraw(caseworker, sharing_consent(referral))

    response = api_as(reception).post("/api/v1/referrals/", {"member": ana.pk, "institution": employment.pk,
                                                             "service": "employment"}, format="json")

    assert response.status_code == 409 and response.json()["code"] == "consent_missing"
    assert Referral.objects.filter(member=ana).count() == 1


def test_an_open_referral_is_no_longer_followed_after_the_sharing_consent_is_withdrawn(caseworker, reception,
                                                                                       referral):
    withdraw(caseworker, sharing_consent(referral))

    response = api_as(reception).patch(f"/api/v1/referrals/{referral.pk}/", {"status": "accepted", "version": 1},
                                       format="json")

    assert response.status_code == 400
    assert "Servicio Nacional de Empleo de Honduras" in response.json()["detail"]
    assert Referral.objects.filter(pk=referral.pk).values_list("status", "version", "answered_on").get() == (
        "sent", 1, None)


def test_the_referral_slip_is_not_printed_after_the_sharing_consent_is_withdrawn(client, caseworker, reception,
                                                                                 referral):
    withdraw(caseworker, sharing_consent(referral))

    response = signed_in(client, reception).get(reverse("referral_slip", args=[referral.pk]), follow=True)

    assert response.redirect_chain[-1][0] == reverse("referral_list")
    assert "withdrew their consent to share their data" in response.content.decode()
    assert not AuditEvent.objects.filter(action="export", object_type="reception.referral").exists()


def test_the_referral_leaves_the_centres_open_and_overdue_lists_after_withdrawal(client, caseworker, reception,
                                                                                  referral):
    Referral.objects.filter(pk=referral.pk).update(due_on=timezone.localdate() - timedelta(days=1))
    signed_in(client, reception)
    before = client.get(reverse("referral_list"), {"show": "overdue"}).content.decode()
    panel_before = reception_panel(reception, cases_visible_to(reception))["referrals_overdue"]

    withdraw(caseworker, sharing_consent(referral))
    after = client.get(reverse("referral_list"), {"show": "overdue"}).content.decode()

    slip = reverse("referral_slip", args=[referral.pk])
    assert slip in before and panel_before == 1
    assert slip not in after
    assert reception_panel(reception, cases_visible_to(reception))["referrals_overdue"] == 0


def test_the_screening_tab_withdraws_a_consent_after_the_return_and_cancels_the_call(client, caseworker, returned,
                                                                                    ana, follow_up_consent):
    signed_in(client, caseworker)
    tab = client.get(reverse("case_screening", args=[returned.pk])).content.decode()

    response = client.post(reverse("consent_withdraw", args=[returned.pk, follow_up_consent.pk]), follow=True)

    assert reverse("consent_withdraw", args=[returned.pk, follow_up_consent.pk]) in tab
    assert "The consent was withdrawn." in response.content.decode()
    assert Consent.objects.get(pk=follow_up_consent.pk).withdrawn_on == timezone.localdate()
    assert FollowUp.objects.get(member=ana).cancelled_on == timezone.localdate()


# At the reception centre: the consents to be called and to share, by the API, the reception tab and the call form.
def test_the_centre_withdraws_the_consent_to_be_called_through_the_api(reception, ana, follow_up_consent):
    response = withdraw(reception, follow_up_consent)

    assert response.status_code == 200 and response.json()["withdrawn_on"] == timezone.localdate().isoformat()
    assert FollowUp.objects.get(member=ana).cancelled_on == timezone.localdate()


def test_the_centre_cannot_withdraw_the_consents_of_registration_and_return(caseworker, reception, ana):
    collection = Consent.objects.create(case=ana.case, member=ana, scope="collection", type="explicit",
                                        given_on=timezone.localdate(), recorded_by=caseworker)

    response = withdraw(reception, collection)

    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert Consent.objects.get(pk=collection.pk).withdrawn_on is None


def test_the_reception_tab_stops_the_calls_and_says_so(client, reception, returned, ana, follow_up_consent):
    signed_in(client, reception)
    tab = client.get(reverse("case_reception", args=[returned.pk])).content.decode()
    action = reverse("reception_consent_withdraw", args=[ana.pk, follow_up_consent.pk])

    response = client.post(action, follow=True)

    assert f'data-testid="stop-calls-{ana.pk}"' in tab and action in tab
    assert "withdrew their consent to be contacted" in response.content.decode()
    assert Consent.objects.get(pk=follow_up_consent.pk).withdrawn_on == timezone.localdate()
    assert FollowUp.objects.get(member=ana).cancelled_on == timezone.localdate()
    after = client.get(reverse("case_reception", args=[returned.pk])).content.decode()
    assert f'data-testid="stop-calls-{ana.pk}"' not in after


def test_the_reception_tab_withdraws_a_sharing_consent_and_the_referral_stops(client, reception, returned, ana,
                                                                              referral):
    signed_in(client, reception)

    response = client.post(reverse("reception_consent_withdraw", args=[ana.pk, referral.consent_id]), follow=True)

    assert "withdrew their consent to share their data" in response.content.decode()
    assert f'data-testid="consent-withdrawn-{referral.pk}"' in response.content.decode()
    referral.refresh_from_db()
    assert not reception_services.referral_consent_stands(referral)
    slip = client.get(reverse("referral_slip", args=[referral.pk]), follow=True)
    assert not AuditEvent.objects.filter(action="export", object_type="reception.referral").exists()
    assert slip.status_code == 200


@pytest.mark.parametrize("persona", ["other_reception", "outsider", "caseworker"])
def test_the_reception_door_is_not_found_for_anyone_but_the_centre(client, request, persona, ana, follow_up_consent):
    signed_in(client, request.getfixturevalue(persona))

    response = client.post(reverse("reception_consent_withdraw", args=[ana.pk, follow_up_consent.pk]))

    assert response.status_code == 404
    assert Consent.objects.get(pk=follow_up_consent.pk).withdrawn_on is None


def test_a_consent_of_another_member_is_not_found_at_that_members_address(client, reception, returned, ana,
                                                                          follow_up_consent):
    other = returned.members.exclude(pk=ana.pk).first()
    signed_in(client, reception)

    response = client.post(reverse("reception_consent_withdraw", args=[other.pk, follow_up_consent.pk]))

    assert response.status_code == 404
    assert Consent.objects.get(pk=follow_up_consent.pk).withdrawn_on is None


def test_a_call_where_the_person_asks_not_to_be_called_again_keeps_the_answers_and_ends_the_calls(
        reception, ana, follow_up_consent):
    response = api_as(reception).post(f"/api/v1/members/{ana.pk}/follow-ups/",
                                      {"reached": True, "safe": True, "stop_contact": True}, format="json")

    assert response.status_code == 201 and "stop_contact" not in response.json()
    call = FollowUp.objects.get(member=ana)
    assert call.done_on == timezone.localdate() and call.safe is True
    assert Consent.objects.get(pk=follow_up_consent.pk).withdrawn_on == timezone.localdate()
    again = api_as(reception).post(f"/api/v1/members/{ana.pk}/follow-ups/", {"reached": True}, format="json")
    assert again.status_code == 400


def test_the_follow_up_form_takes_the_request_not_to_be_called_again(client, reception, ana, follow_up_consent):
    signed_in(client, reception)

    response = client.post(reverse("follow_up_new", args=[ana.pk]), {"reached": "yes", "stop_contact": "on"},
                           follow=True)

    assert response.status_code == 200
    assert FollowUp.objects.get(member=ana).done_on == timezone.localdate()
    assert Consent.objects.get(pk=follow_up_consent.pk).withdrawn_on == timezone.localdate()


def test_a_call_without_the_request_leaves_the_consent(reception, ana, follow_up_consent):
    response = api_as(reception).post(f"/api/v1/members/{ana.pk}/follow-ups/", {"reached": True}, format="json")

    assert response.status_code == 201
    assert Consent.objects.get(pk=follow_up_consent.pk).withdrawn_on is None
