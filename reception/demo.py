"""A directory of institutions per country of return (Nicaragua too) and a hygiene-kit stock at each demo reception
centre."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.choices import OfficeKind
from accounts.models import User
from reception.models import Institution, KitDelivery, KitStock

# name, country, municipality, services, phone
INSTITUTIONS = [
    ("Servicio Nacional de Empleo de Honduras", "HN", "San Pedro Sula", ["employment", "education"], "+504 2550-0000"),
    ("Centro de Salud de San Pedro Sula", "HN", "San Pedro Sula", ["health", "psychosocial"], "+504 2552-0000"),
    ("DINAF — Centro Belén", "HN", "San Pedro Sula", ["protection", "shelter", "psychosocial"], "+504 2556-0000"),
    ("Ciudad Mujer San Pedro Sula", "HN", "San Pedro Sula", ["protection", "legal_aid", "health"], "+504 2516-0000"),
    ("Ministerio de Trabajo y Previsión Social — Bolsa de Empleo", "SV", "San Salvador", ["employment"],
     "+503 2529-0000"),
    ("Unidad Comunitaria de Salud Familiar de San Salvador", "SV", "San Salvador", ["health"], "+503 2591-0000"),
    ("CONNA", "SV", "San Salvador", ["protection", "shelter"], "+503 2511-0000"),
    ("Ciudad Mujer Colón", "SV", "Colón", ["protection", "legal_aid", "psychosocial"], "+503 2563-0000"),
    ("Ministerio de Trabajo — Servicio Nacional de Empleo", "GT", "Guatemala", ["employment", "education"],
     "+502 2422-0000"),
    ("Centro de Salud de la zona 1, Guatemala", "GT", "Guatemala", ["health"], "+502 2251-0000"),
    ("Secretaría de Bienestar Social (SBS)", "GT", "Guatemala", ["protection", "shelter"], "+502 2414-0000"),
    ("Ministerio Público — Fiscalía de la Mujer", "GT", "Guatemala", ["protection", "legal_aid"], "+502 2411-0000"),
    ("MINSA — Centro de Salud Francisco Buitrago", "NI", "Managua", ["health"], "+505 2249-0000"),
    ("MITRAB — Servicio Público de Empleo", "NI", "Managua", ["employment", "education"], "+505 2222-0000"),
    ("Ministerio de la Mujer — Comisaría de la Mujer y la Niñez", "NI", "Managua", ["protection", "legal_aid"],
     "+505 2228-0000"),
    ("MIFAN — Ministerio de la Familia, Adolescencia y Niñez", "NI", "Managua",
     ["protection", "shelter", "psychosocial"], "+505 2278-0000"),
]
DEMO_DELIVERY_NOTE = "demo"


@transaction.atomic
def demo_reception_ensure(*, offices) -> None:
    """Institutions and kit stocks; running it again changes nothing."""
    for name, country, municipality, services, phone in INSTITUTIONS:
        Institution.objects.get_or_create(name=name, country=country, defaults={
            "municipality": municipality, "services": services, "phone": phone})
    recorder = User.objects.get(username="admin")
    today = timezone.localdate()
    for office in offices.values():
        if office.kind != OfficeKind.RECEPTION_CENTRE:
            continue
        KitStock.objects.get_or_create(centre=office, defaults={"low_threshold": 20})
        if not KitDelivery.objects.filter(centre=office, note=DEMO_DELIVERY_NOTE).exists():
            KitDelivery.objects.create(centre=office, quantity=150, received_on=today - timedelta(days=10),
                                       note=DEMO_DELIVERY_NOTE, recorded_by=recorder)
