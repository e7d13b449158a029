"""The demo's follow-up: a reintegration monitoring questionnaire and a plan for CARAVAN-2018 (month 1, month 3)."""

from django.db import transaction
from django.utils import timezone

from accounts.models import Programme, User
from reception.models import (
    FollowUpPlan,
    FollowUpStep,
    Instrument,
    InstrumentItem,
    InstrumentVersion,
)

DEMO_PROGRAMME = "CARAVAN-2018"
DEMO_INSTRUMENT = "reintegration-monitoring"
# code, Spanish, English, answer type, dimension, weight, extra (options, bounds, flag and the answers raising it)
DEMO_ITEMS = [
    ("working", "¿Tiene un trabajo o una fuente de ingresos?", "Do you have a job or a source of income?", "yes_no",
     "economic", 2, {}),
    ("income_covers", "¿Sus ingresos cubren las necesidades básicas del hogar? (1 nada – 5 del todo)",
     "Does your income cover the household's basic needs? (1 not at all – 5 fully)", "scale", "economic", 1, {}),
    ("debt", "¿Cuánto debe hoy, en dólares?", "How much do you owe today, in US dollars?", "number", "economic", 1,
     {"min_value": 0, "max_value": 10000, "reverse_scored": True}),
    ("housing", "¿Dónde vive ahora?", "Where do you live now?", "choice", "social", 1, {"options": [
        {"code": "own", "es": "En vivienda propia o de la familia", "en": "In their own or the family's home",
         "score": 1},
        {"code": "rented", "es": "En vivienda alquilada", "en": "In a rented home", "score": 0.75},
        {"code": "shelter", "es": "En un albergue", "en": "In a shelter", "score": 0.25},
        {"code": "none", "es": "Sin vivienda fija", "en": "With no fixed home", "score": 0}]}),
    ("community", "¿Se siente parte de su comunidad? (1 nada – 5 del todo)",
     "Do you feel part of your community? (1 not at all – 5 fully)", "scale", "social", 1, {}),
    ("feels_safe", "¿Se siente seguro o segura donde vive?", "Do you feel safe where you live?", "yes_no",
     "psychosocial", 2, {"flag": "not_safe", "flag_when": ["no"]}),
    ("wellbeing", "¿Cómo se ha sentido de ánimo en las últimas dos semanas? (1 muy mal – 5 muy bien)",
     "How has your mood been over the last two weeks? (1 very bad – 5 very good)", "scale", "psychosocial", 1,
     {"flag": "health_distress", "flag_when": ["1"]}),
    ("migrate_irregularly", "¿Piensa migrar otra vez de forma irregular?",
     "Do you intend to migrate again irregularly?", "yes_no", "", 1,
     {"flag": "migrate_irregularly", "flag_when": ["yes"]}),
    ("needs", "¿Qué necesita ahora?", "What do you need now?", "text", "", 0, {"required": False}),
]
DEMO_STEPS = [("Mes 1 / Month 1", 30, 14), ("Mes 3 / Month 3", 90, 21)]


@transaction.atomic
def demo_follow_up_ensure() -> FollowUpPlan | None:
    """The demo questionnaire (version 1) and CARAVAN-2018's plan; running it again changes nothing."""
    programme = Programme.objects.filter(code=DEMO_PROGRAMME).first()
    if programme is None:
        return None
    instrument, _ = Instrument.objects.get_or_create(code=DEMO_INSTRUMENT, defaults={
        "name_es": "Monitoreo de la reintegración", "name_en": "Reintegration monitoring"})
    version, created = InstrumentVersion.objects.get_or_create(instrument=instrument, number=1,
                                                               defaults={"published_at": timezone.now()})
    if created:
        for order, (code, text_es, text_en, answer_type, dimension, weight, extra) in enumerate(DEMO_ITEMS, 1):
            InstrumentItem.objects.create(version=version, order=order, code=code, text_es=text_es, text_en=text_en,
                                          answer_type=answer_type, dimension=dimension, weight=weight, **extra)
    plan, _ = FollowUpPlan.objects.get_or_create(programme=programme, defaults={
        "protection_focal_point": User.objects.filter(username="admin").first(), "referral_due_days": 3})
    if not plan.steps.filter(instrument_version__isnull=False).exists():
        plan.steps.filter(instrument_version__isnull=True, follow_ups__isnull=True).delete()
        for name, offset, window in DEMO_STEPS:
            FollowUpStep.objects.create(plan=plan, name=name, offset_days=offset, window_days=window,
                                        instrument_version=version)
    return plan
