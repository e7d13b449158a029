"""What anonymising a case overwrites, read from the field policy (cases/fields.py) so a new field cannot be missed.

Every tagged field of every model linked to the case is one of: free text (emptied), a name (a fixed marker), a
quasi-identifier (coarsened), a link to another person (cut), a file (deleted), or a category, flag, date or count
that donor reports read (kept: the household, its statuses, dates and counts stay).
"""

from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Value
from django.db.models.functions import TruncYear

from cases.fields import FIELD_GROUPS

MARKER = "ANONYMISED"
NAMES = {"cases.Member.given_names", "cases.Member.family_names"}
# The municipality becomes the country it is in (the person's nationality: the field holds a place at home).
COARSENED = {"cases.Member.date_of_birth": TruncYear("date_of_birth"),
             "cases.Member.place_of_origin": F("nationality")}
CUT_LINKS = {"cases.Member.same_person_as"}
CLEARED_ARRAYS = {"cases.Member.name_tokens"}


@dataclass
class ModelPlan:
    """The new values for one model's rows of the case, and the file fields whose files are deleted."""

    label: str
    case_lookup: str
    member_lookup: str | None = None  # None: a record of the whole household, never touched for one member
    values: dict = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    @property
    def model(self):
        return apps.get_model(self.label)

    def rows(self, case_ids):
        return self.model.objects.filter(**{f"{self.case_lookup}__in": case_ids})

    def member_rows(self, member_id: int):
        """This model's rows about one member (the member themself, or rows naming them); none for household rows."""
        if self.member_lookup is None:
            return self.model.objects.none()
        return self.model.objects.filter(**{self.member_lookup: member_id})


def case_lookup(model) -> str | None:
    """How a model's rows name their case; None for a record of no one case (an import batch: its file is deleted
    once merged or refused, imports.services)."""
    names = {f.name for f in model._meta.get_fields()}
    if model._meta.label == "cases.Case":
        return "pk"
    if "case" in names:
        return "case_id"
    if "member" in names:
        return "member__case_id"
    return None


def member_lookup(model) -> str | None:
    """How a model's rows name one member: the member row itself, a `member` column, or not at all."""
    if model._meta.label == "cases.Member":
        return "pk"
    if "member" in {f.name for f in model._meta.get_fields()}:
        return "member_id"
    return None


def new_value(key: str, model_field):
    """The value a field takes, or None to keep it."""
    if key in NAMES:
        return Value(MARKER)
    if key in COARSENED:
        return COARSENED[key]
    if key in CUT_LINKS:
        return Value(None)
    if key in CLEARED_ARRAYS:
        return Value([], output_field=model_field)
    if isinstance(model_field, ArrayField) or model_field.choices:
        return None
    if isinstance(model_field, models.FileField):
        return Value("")
    if isinstance(model_field, (models.CharField, models.TextField)):
        return Value("")
    return None


def anonymisation_plan() -> list[ModelPlan]:
    """One plan per model that holds personal fields of a case, in the field policy's order."""
    plans: dict[str, ModelPlan] = {}
    for key in FIELD_GROUPS:
        label, name = key.rsplit(".", 1)
        model = apps.get_model(label)
        model_field = model._meta.get_field(name)
        value = new_value(key, model_field)
        if value is None or case_lookup(model) is None:
            continue
        plan = plans.setdefault(label, ModelPlan(label=label, case_lookup=case_lookup(model),
                                                      member_lookup=member_lookup(model)))
        plan.values[model_field.attname] = value
        if isinstance(model_field, models.FileField):
            plan.files.append(name)
    return list(plans.values())
