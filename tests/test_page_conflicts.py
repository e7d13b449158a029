"""Stale saves on pages: the saved values beside the user's input, and a decided re-save that loses nothing."""

import html as entities
import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, Member
from cases.services import case_principal_change, case_update
from cases.registration import member_update
from screening import services as screening
from screening.models import BestInterests, CounsellingSession, ProtectionScreening
from tests.screening_steps import family, lone_child, screen
from tests.test_reception_pages import arrival, employment, people, recorded  # noqa: F401 (fixtures)
from tests.travel_steps import convoy
from travel import services as travel
from travel.models import Movement

pytestmark = pytest.mark.django_db


def signed_in(client, user):
    type(user).objects.filter(pk=user.pk).update(language="en")
    client.force_login(user)
    return client


def page(response) -> str:
    return response.content.decode()


def loaded(response) -> str:
    return entities.unescape(re.search(r'name="loaded_values" value="([^"]*)"', page(response)).group(1))


def version_shown(response) -> str:
    return re.search(r'name="version" value="([^"]*)"', page(response)).group(1)


def conflict_rows(response) -> dict:
    """field -> (saved now, your input, kept)"""
    rows = re.findall(r'<tr data-field="([^"]+)">.*?data-testid="saved">(.*?)</td>.*?data-testid="yours">(.*?)</td>'
                      r'.*?data-testid="keeps">(.*?)</td>', page(response), re.S)
    return {name: (entities.unescape(saved), entities.unescape(yours), keeps) for name, saved, yours, keeps in rows}


@pytest.fixture
def case(caseworker, caravan, tij):
    return family(actor=caseworker, programme=caravan, office=tij)


def case_post(case, response, **changes) -> dict:
    data = {"version": version_shown(response), "loaded_values": loaded(response), "destination_country": "HN",
            "how_heard": case.how_heard, "intake_date": case.intake_date.isoformat(),
            "caseworker_notes": case.caseworker_notes}
    return data | changes


# Case edit


def test_the_case_edit_form_shows_the_saved_intake_date(client, caseworker, case):
    response = signed_in(client, caseworker).get(reverse("case_edit", args=[case.pk]))

    assert f'value="{case.intake_date.isoformat()}"' in page(response)


def test_a_stale_case_edit_shows_the_saved_value_beside_the_users_input_and_the_new_version(
        client, caseworker, supervisor, case):
    url = reverse("case_edit", args=[case.pk])
    opened = signed_in(client, caseworker).get(url)
    case_update(case_id=case.pk, actor=supervisor, expected_version=case.version,
                changes={"caseworker_notes": "Llamó su hermana."})

    response = client.post(url, case_post(case, opened, how_heard="shelter"))

    assert response.status_code == 200
    rows = conflict_rows(response)
    assert rows["caseworker_notes"][:2] == ("Llamó su hermana.", case.caseworker_notes or "—")
    assert "did not change" in rows["caseworker_notes"][2]
    assert "how_heard" not in rows  # nobody else changed it
    assert version_shown(response) == str(case.version + 1)
    saved = Case.objects.get(pk=case.pk)
    assert (saved.caseworker_notes, saved.how_heard, saved.version) == ("Llamó su hermana.", case.how_heard,
                                                                        case.version + 1)


def test_the_decided_case_re_save_keeps_the_other_change_in_fields_the_user_did_not_touch(
        client, caseworker, supervisor, case):
    url = reverse("case_edit", args=[case.pk])
    opened = signed_in(client, caseworker).get(url)
    case_update(case_id=case.pk, actor=supervisor, expected_version=case.version,
                changes={"caseworker_notes": "Llamó su hermana."})
    refused = client.post(url, case_post(case, opened, how_heard="shelter"))
    assert 'value="shelter" selected' in page(refused) and "Llamó su hermana.</textarea>" in page(refused)

    saved = client.post(url, case_post(case, refused, how_heard="shelter", caseworker_notes="Llamó su hermana."))

    assert saved.status_code == 302
    case = Case.objects.get(pk=case.pk)
    assert (case.caseworker_notes, case.how_heard) == ("Llamó su hermana.", "shelter")


def test_a_field_both_changed_keeps_the_users_input_and_says_so(client, caseworker, supervisor, case):
    url = reverse("case_edit", args=[case.pk])
    opened = signed_in(client, caseworker).get(url)
    case_update(case_id=case.pk, actor=supervisor, expected_version=case.version,
                changes={"caseworker_notes": "Nota de supervisión."})

    response = client.post(url, case_post(case, opened, caseworker_notes="Mi nota."))

    assert conflict_rows(response)["caseworker_notes"] == ("Nota de supervisión.", "Mi nota.", "Your input")
    assert "Mi nota.</textarea>" in page(response)
    assert Case.objects.get(pk=case.pk).caseworker_notes == "Nota de supervisión."


# Member edit


def member_post(member, response, **changes) -> dict:
    data = {"version": version_shown(response), "loaded_values": loaded(response),
            "given_names": member.given_names, "family_names": member.family_names, "sex": member.sex,
            "relationship": member.relationship, "date_of_birth": member.date_of_birth.isoformat(),
            "nationality": member.nationality, "place_of_origin": member.place_of_origin,
            "document_type": member.document_type, "document_number": member.document_number,
            "phone": member.phone}
    return data | changes


def other_saves_phone(case, member, actor, phone):
    from cases.registration import member_as_input

    changes = vars(member_as_input(member, case.intake_date)) | {"phone": phone}
    member_update(actor=actor, member_id=member.pk, expected_version=case.version, changes=changes)


def test_a_stale_member_edit_shows_both_values_and_the_decided_re_save_keeps_the_other_phone(
        client, caseworker, supervisor, case):
    member = case.members.get(relationship="principal")
    url = reverse("member_edit", args=[case.pk, member.pk])
    opened = signed_in(client, caseworker).get(url)
    other_saves_phone(case, member, supervisor, "+504 9999 0000")

    refused = client.post(url, member_post(member, opened, place_of_origin="San Pedro Sula"))
    rows = conflict_rows(refused)
    saved = client.post(url, member_post(member, refused, place_of_origin="San Pedro Sula",
                                         phone="+504 9999 0000"))

    assert rows["phone"][:2] == ("+504 9999 0000", "—") and "did not change" in rows["phone"][2]
    assert version_shown(refused) == str(case.version + 1)
    assert saved.status_code == 302
    member = Member.objects.get(pk=member.pk)
    assert (member.phone, member.place_of_origin) == ("+504 9999 0000", "San Pedro Sula")


def test_a_refused_member_edit_changes_nothing(client, caseworker, supervisor, case):
    member = case.members.get(relationship="principal")
    url = reverse("member_edit", args=[case.pk, member.pk])
    opened = signed_in(client, caseworker).get(url)
    other_saves_phone(case, member, supervisor, "+504 9999 0000")

    client.post(url, member_post(member, opened, place_of_origin="San Pedro Sula"))

    member = Member.objects.get(pk=member.pk)
    assert (member.phone, member.place_of_origin) == ("+504 9999 0000", "Choloma")


# Principal change


def test_a_stale_principal_change_shows_the_principal_saved_now_and_the_decided_re_save_applies(
        client, caseworker, supervisor, case):
    ana, jorge, kevin = (case.members.get(given_names=n) for n in ("Ana Lucía", "Jorge", "Kevin"))
    url = reverse("principal_change", args=[case.pk])
    opened = signed_in(client, caseworker).get(url)
    case_principal_change(actor=supervisor, case_id=case.pk, expected_version=case.version, principal_id=jorge.pk,
                          relationships={ana.pk: "spouse", kevin.pk: "child"})
    mine = {"version": version_shown(opened), "loaded_values": loaded(opened), "principal": str(kevin.pk),
            f"relationship_{ana.pk}": "parent", f"relationship_{jorge.pk}": "parent"}

    refused = client.post(url, mine)
    rows = conflict_rows(refused)
    saved = client.post(url, mine | {"version": version_shown(refused), "loaded_values": loaded(refused)})

    assert rows["principal"] == ("Jorge Mejía Cruz", "Kevin Mejía Reyes", "Your input")
    assert version_shown(refused) == str(case.version + 1)
    assert saved.status_code == 302
    assert Member.objects.get(pk=kevin.pk).relationship == "principal"


# Member screening


def screening_post(response, **changes) -> dict:
    return {"version": version_shown(response), "loaded_values": loaded(response), "fear_of_return": "no",
            "screened_on": "2018-11-20"} | changes


def test_a_stale_screening_shows_both_values_and_accepts_the_decided_re_save(client, caseworker, supervisor, case):
    member = case.members.get(given_names="Jorge")
    first = screen(member, caseworker)
    url = reverse("member_screening_edit", args=[case.pk, member.pk])
    opened = signed_in(client, caseworker).get(url)
    screen(member, supervisor, version=first.version, vulnerabilities=[
        {"kind": "disability", "severity": "medium", "needs_specialised_assessment": False}])

    refused = client.post(url, screening_post(opened, threats="on"))
    rows = conflict_rows(refused)
    saved = client.post(url, screening_post(refused, threats="on", vulnerability_disability="medium"))

    assert rows["vulnerability_disability"][:2] == ("Medium", "No")
    assert version_shown(refused) == str(first.version + 1)
    assert saved.status_code == 302
    screening_now = ProtectionScreening.objects.get(member=member)
    assert screening_now.threats is True
    assert list(member.vulnerabilities.values_list("kind", flat=True)) == ["disability"]


def test_a_restricted_field_is_never_shown_in_the_comparison(client, caseworker, supervisor, case):
    member = case.members.get(given_names="Jorge")
    first = screen(member, supervisor, narrative="Amenazas de la pandilla.")
    url = reverse("member_screening_edit", args=[case.pk, member.pk])
    opened = signed_in(client, caseworker).get(url)
    screen(member, supervisor, version=first.version, narrative="Lo buscan en Choloma.")

    refused = client.post(url, screening_post(opened, threats="on"))

    assert "data-testid=\"conflict\"" in page(refused)
    assert "narrative" not in conflict_rows(refused)
    assert "Lo buscan" not in page(refused) and "Amenazas" not in page(refused)


# Best interests


def test_a_stale_best_interests_determination_shows_both_values_and_the_re_save_keeps_the_other_change(
        client, caseworker, supervisor, caravan, tij):
    child_case = lone_child(actor=caseworker, programme=caravan, office=tij)
    child = child_case.members.get()
    data = {"responsible_authority": "DINAF", "guardian_name": "María Flores", "child_views": "Quiere volver.",
            "options_considered": "Volver con su abuela.", "outcome": "return", "decided_on": date(2018, 11, 22)}
    first = screening.best_interests_save(actor=caseworker, member_id=child.pk, expected_version=None, data=data)
    url = reverse("best_interests_edit", args=[child_case.pk, child.pk])
    opened = signed_in(client, caseworker).get(url)
    screening.best_interests_save(actor=supervisor, member_id=child.pk, expected_version=first.version,
                                  data=data | {"guardian_name": "Rosa Flores"})
    mine = {"version": version_shown(opened), "loaded_values": loaded(opened), **data,
            "decided_on": "2018-11-22", "family_tracing_result": "Abuela localizada."}

    refused = client.post(url, mine)
    rows = conflict_rows(refused)
    saved = client.post(url, mine | {"version": version_shown(refused), "loaded_values": loaded(refused),
                                     "guardian_name": "Rosa Flores"})

    assert rows["guardian_name"][:2] == ("Rosa Flores", "María Flores") and "did not change" in rows["guardian_name"][2]
    assert version_shown(refused) == str(first.version + 1)
    assert saved.status_code == 302
    record = BestInterests.objects.get(member=child)
    assert (record.guardian_name, record.family_tracing_result) == ("Rosa Flores", "Abuela localizada.")


# Movement edit


def local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def movement_post(bus, response, **changes) -> dict:
    legs = list(bus.legs.all())
    data = {"version": version_shown(response), "loaded_values": loaded(response),
            "legs_loaded": entities.unescape(re.search(r'name="legs_loaded" value="([^"]*)"', page(response)).group(1)),
            "mode": "bus", "carrier": bus.carrier, "vehicle": bus.vehicle, "departure_place": bus.departure_place,
            "departure_at": local(bus.departure_at), "capacity": str(bus.capacity), "notes": bus.notes,
            "legs-TOTAL_FORMS": str(len(legs)), "legs-INITIAL_FORMS": str(len(legs))}
    for i, leg in enumerate(legs):
        data |= {f"legs-{i}-crossing_point": leg.crossing_point, f"legs-{i}-expected_at": local(leg.expected_at)}
    return data | changes


def test_a_stale_movement_edit_shows_both_values_and_the_re_save_keeps_the_other_carrier_and_legs(
        client, movement_officer, tij, sps):
    bus = convoy(movement_officer, tij, sps, capacity=10)
    carrier = bus.carrier
    url = reverse("movement_edit", args=[bus.pk])
    opened = signed_in(client, movement_officer).get(url)
    mine = movement_post(bus, opened, capacity="12")
    new_leg = {"crossing_point": "El Amatillo", "expected_at": bus.departure_at + timedelta(hours=30)}
    travel.movement_update(actor=movement_officer, movement_id=bus.pk, expected_version=bus.version,
                           changes={"carrier": "Autobuses Halcón"},
                           legs=[{"crossing_point": leg.crossing_point, "expected_at": leg.expected_at}
                                 for leg in bus.legs.all()] + [new_leg])

    refused = client.post(url, mine)
    rows = conflict_rows(refused)
    bus.refresh_from_db()
    saved = client.post(url, movement_post(bus, refused, capacity="12"))

    assert rows["carrier"][:2] == ("Autobuses Halcón", carrier) and "capacity" not in rows
    assert "legs" in rows and "El Amatillo" in rows["legs"][0] and "did not change" in rows["legs"][2]
    assert version_shown(refused) == str(bus.version)
    assert saved.status_code == 302
    movement = Movement.objects.get(pk=bus.pk)
    assert (movement.carrier, movement.capacity) == ("Autobuses Halcón", 12)
    assert "El Amatillo" in movement.legs.values_list("crossing_point", flat=True)


# Every error in one round, required fields marked


def test_the_counselling_form_reports_a_future_date_with_the_missing_fields(client, caseworker, case):
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()

    response = signed_in(client, caseworker).post(reverse("counselling_session_new", args=[case.pk]),
                                                  {"held_on": tomorrow})

    assert "This date is in the future." in page(response) and "This field is required." in page(response)
    assert not CounsellingSession.objects.filter(case=case).exists()


def test_the_declaration_form_reports_a_future_date_with_the_missing_witness(client, caseworker, case):
    member = case.members.get(given_names="Jorge")
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()

    response = signed_in(client, caseworker).post(reverse("declaration_new", args=[case.pk, member.pk]),
                                                  {"signed_on": tomorrow})

    assert "This date is in the future." in page(response) and "This field is required." in page(response)
    assert not member.declarations.exists()


def test_required_fields_are_marked_with_a_legend(client, caseworker, case):
    response = signed_in(client, caseworker).get(reverse("case_edit", args=[case.pk]))

    assert 'data-testid="required-legend"' in page(response)
    assert re.search(r'name="intake_date"[^>]*required', page(response))
    assert re.search(r'Intake date <span class="text-danger" aria-hidden="true">\*</span>', page(response))


# Referral row


def referral_form(response, referral) -> str:
    return re.search(rf'data-testid="referral-update-{referral.pk}".*?</form>', page(response), re.S).group(0)


def test_a_stale_referral_update_shows_both_values_and_the_re_save_keeps_the_other_status(client, reception, recorded):  # noqa: F811
    from reception import services as reception_services
    from reception.models import Referral

    referral = recorded["referral"]
    opened = signed_in(client, reception).get(reverse("referral_list"))
    row = referral_form(opened, referral)
    token = entities.unescape(re.search(r'name="loaded_values" value="([^"]*)"', row).group(1))
    reception_services.referral_update(actor=reception, referral_id=referral.pk, expected_version=referral.version,
                                       changes={"status": "accepted", "note": ""})
    mine = {"version": str(referral.version), "loaded_values": token, "status": "sent",
            "due_on": referral.due_on.isoformat(), "note": "Cita el lunes"}

    refused = client.post(reverse("referral_update", args=[referral.pk]), mine)
    rows = conflict_rows(refused)
    row = referral_form(refused, referral)
    again = mine | {"version": version_shown(refused),
                    "loaded_values": entities.unescape(re.search(r'name="loaded_values" value="([^"]*)"',
                                                                 row).group(1)), "status": "accepted"}
    saved = client.post(reverse("referral_update", args=[referral.pk]), again)

    assert rows["status"][:2] == ("Accepted", "Sent") and "did not change" in rows["status"][2]
    assert rows.keys() == {"status"}
    assert saved.status_code == 302
    referral = Referral.objects.get(pk=referral.pk)
    assert (referral.status, referral.note, referral.version) == ("accepted", "Cita el lunes", 3)


def test_every_date_input_of_the_pages_shows_its_saved_value():
    """An <input type="date"> or "datetime-local" shows nothing unless its value is ISO (e.g. the intake date)."""
    from django import forms

    import cases.forms
    import reception.forms
    import reports.forms
    import screening.forms
    import travel.forms

    checked = 0
    for module in (cases.forms, screening.forms, travel.forms, reception.forms, reports.forms):
        for form_class in vars(module).values():
            if not (isinstance(form_class, type) and issubclass(form_class, forms.BaseForm)):
                continue
            for name, field in form_class.base_fields.items():
                if isinstance(field, forms.DateTimeField):
                    assert field.widget.format == "%Y-%m-%dT%H:%M", f"{form_class.__name__}.{name}"
                elif isinstance(field, forms.DateField):
                    assert field.widget.format == "%Y-%m-%d", f"{form_class.__name__}.{name}"
                else:
                    continue
                checked += 1
    assert checked > 20


def test_the_travel_document_form_reports_the_services_checks_with_a_bad_date(client, movement_officer, caseworker,
                                                                              supervisor, case):
    from tests.travel_steps import approved

    approved(case, caseworker, supervisor)
    ana = case.members.get(given_names="Ana Lucía")

    response = signed_in(client, movement_officer).post(reverse("travel_document_new", args=[case.pk, ana.pk]), {
        "type": "passport", "number": "", "status": "ready", "expires_on": "not a date"})

    assert "Enter a valid date." in page(response) and "A document is ready only with its number." in page(response)
    assert not ana.travel_documents.exists()


def test_an_unticked_box_the_user_never_touched_takes_the_value_saved_now():
    from django import forms

    from avr.conflicts import canonical, decided

    box = forms.BooleanField(required=False)

    assert decided(canonical(box, None), canonical(box, False), canonical(box, True)) == (False, True)
