"""Reference data of DOMAIN.md and demo users; running it again changes nothing."""

import os
from base64 import b32decode
from datetime import date

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.choices import OfficeKind, Role
from accounts.models import Assignment, Office, Programme, User
from accounts.mfa import mfa_required
from accounts.services import mfa_demo_enrol, role_groups_ensure, user_role_groups_sync
from audit.services import audit_actor_set
from cases.demo import demo_cases_ensure
from reception.demo import demo_reception_ensure
from reception.demo_followup import demo_follow_up_ensure
from travel.demo import demo_travel_ensure

OFFICES = [
    ("TUM", "Tecún Umán", OfficeKind.REGISTRATION_BOOTH, "GT"),
    ("TAP", "Tapachula", OfficeKind.REGISTRATION_BOOTH, "MX"),
    ("CDMX", "Ciudad de México", OfficeKind.REGISTRATION_BOOTH, "MX"),
    ("TIJ", "Tijuana", OfficeKind.REGISTRATION_BOOTH, "MX"),
    ("SJO", "San José", OfficeKind.REGISTRATION_BOOTH, "CR"),
    ("HN-SPS", "CAMR San Pedro Sula", OfficeKind.RECEPTION_CENTRE, "HN"),
    ("HN-OMO", "CAMR Omoa", OfficeKind.RECEPTION_CENTRE, "HN"),
    ("SV-SS", "DGME La Chacra, San Salvador", OfficeKind.RECEPTION_CENTRE, "SV"),
    ("GT-GUA", "IGM Ciudad de Guatemala", OfficeKind.RECEPTION_CENTRE, "GT"),
    ("NI-MGA", "Centro de recepción de Managua", OfficeKind.RECEPTION_CENTRE, "NI"),
    ("HQ", "Headquarters", OfficeKind.HEADQUARTERS, "XX"),
]
PROGRAMMES = [
    ("CARAVAN-2018", "Caravans AVR 2018", "PRM", ["MX", "GT"], ["HN", "SV", "GT"], date(2018, 11, 1), None),
    ("NIC-2019", "Nicaragua AVR 2019", "PRM", ["MX", "GT", "CR"], ["NI"], date(2019, 5, 1), None),
]
# username, first name, last name, [(role, office code, programme code, country)]
USERS = [
    ("admin", "Ana", "Admin", [(Role.ADMIN, "HQ", None, "")]),
    ("caseworker_tij", "Lucía", "Ramírez", [(Role.CASEWORKER, "TIJ", None, "")]),
    ("caseworker_tap", "Jorge", "Méndez", [(Role.CASEWORKER, "TAP", None, "")]),
    ("supervisor_mx", "Carmen", "Ortega", [(Role.SUPERVISOR, None, "CARAVAN-2018", "MX")]),
    ("movement_mx", "Raúl", "Castillo", [(Role.MOVEMENT_OFFICER, None, None, "MX")]),
    ("reception_hn", "Sofía", "Banegas", [(Role.RECEPTION_STAFF, "HN-SPS", None, "")]),
    ("reception_sv", "Mario", "Alvarado", [(Role.RECEPTION_STAFF, "SV-SS", None, "")]),
    ("reception_gt", "Elena", "Cifuentes", [(Role.RECEPTION_STAFF, "GT-GUA", None, "")]),
    ("caseworker_sjo", "Andrea", "Solís", [(Role.CASEWORKER, "SJO", None, "")]),
    ("supervisor_nic", "Rodrigo", "Chamorro", [(Role.SUPERVISOR, None, "NIC-2019", "")]),
    ("movement_cr", "Silvia", "Vargas", [(Role.MOVEMENT_OFFICER, None, None, "CR")]),
    ("reception_ni", "Martha", "Obando", [(Role.RECEPTION_STAFF, "NI-MGA", None, "")]),
]


# The demo's one authenticator secret, published in the README: demo only. Every demo user who must use
# two-factor sign-in (the supervisor, the admin) has it, so the demo signs in with any authenticator app.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def demo_totp_key_hex() -> str:
    return b32decode(DEMO_TOTP_SECRET).hex()


class Command(BaseCommand):
    help = "Create the demo offices, programmes, users (password from DEMO_PASSWORD) and a few demo cases."

    @transaction.atomic
    def handle(self, *args, **options):
        password = os.environ.get("DEMO_PASSWORD") or "avr-demo-2018"
        audit_actor_set(actor=None)
        role_groups_ensure()
        offices = {code: self.office(code, name, kind, country) for code, name, kind, country in OFFICES}
        programmes = {p[0]: self.programme(*p) for p in PROGRAMMES}
        for username, first, last, roles in USERS:
            self.user(username, first, last, password, roles, offices, programmes)
        # The demo admin hears of every emergency access (a focal point chosen in the admin since is kept).
        Programme.objects.filter(code__in=programmes, data_protection_focal_point__isnull=True).update(
            data_protection_focal_point=User.objects.get(username="admin"))
        created = demo_cases_ensure(offices=offices, programmes=programmes)
        demo_reception_ensure(offices=offices)
        demo_follow_up_ensure()
        demo_travel_ensure(offices=offices)
        self.stdout.write(f"demo data ready ({created} demo case(s) created)")

    def office(self, code, name, kind, country):
        office, _ = Office.objects.get_or_create(code=code, defaults={"name": name, "kind": kind, "country": country})
        return office

    def programme(self, code, name, donor, reg, ret, start, end):
        programme, _ = Programme.objects.get_or_create(code=code, defaults={
            "name": name, "donor": donor, "registration_countries": reg, "return_countries": ret,
            "start_date": start, "end_date": end})
        # A database seeded before a country joined the demo gains it; countries added in the admin stay.
        missing_reg = [c for c in reg if c not in programme.registration_countries]
        missing_ret = [c for c in ret if c not in programme.return_countries]
        if missing_reg or missing_ret:
            programme.registration_countries += missing_reg
            programme.return_countries += missing_ret
            programme.save(update_fields=["registration_countries", "return_countries"])
        return programme

    def user(self, username, first, last, password, roles, offices, programmes):
        user, created = User.objects.get_or_create(username=username, defaults={"first_name": first, "last_name": last})
        if created or not user.check_password(password):
            user.set_password(password)
            user.save(update_fields=["password"])
        for role, office, programme, country in roles:
            Assignment.objects.get_or_create(
                user=user, role=role, office=offices.get(office), programme=programmes.get(programme), country=country
            )
        user_role_groups_sync(user=user)
        if mfa_required(user):
            mfa_demo_enrol(user=user, secret_hex=demo_totp_key_hex())
