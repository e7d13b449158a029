from django.db import models
from django.utils.translation import gettext_lazy as _


class CounsellingTopic(models.TextChoices):
    COUNTRY_SITUATION = "country_situation", _("Situation in the country of return")
    ALTERNATIVES = "alternatives", _("Alternatives, including asylum and regularisation")
    CONSEQUENCES = "consequences", _("Consequences (e.g. losing a humanitarian visa or a pending asylum hearing)")
    ASSISTANCE = "assistance", _("What assistance is and is not offered")


class CounsellingOutcome(models.TextChoices):
    WISHES_TO_RETURN = "wishes_to_return", _("Wishes to return")
    UNDECIDED = "undecided", _("Undecided")
    DOES_NOT_WISH = "does_not_wish", _("Does not wish to return")


class VulnerabilityKind(models.TextChoices):
    TRAFFICKING = "trafficking", _("Victim of trafficking")
    GBV = "gbv", _("Gender-based violence")
    PREGNANT = "pregnant", _("Pregnant")
    MEDICAL_CONDITION = "medical_condition", _("Medical condition")
    DISABILITY = "disability", _("Disability")
    OLDER_PERSON = "older_person", _("Older person")
    SINGLE_PARENT = "single_parent", _("Single parent")
    OTHER = "other", _("Other vulnerability")


# Derived from the household (cases.household), never typed, but counted among the vulnerabilities.
CHILD_VULNERABILITIES = {"unaccompanied_child": _("Unaccompanied child"), "separated_child": _("Separated child")}


class Severity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class FitnessOutcome(models.TextChoices):
    FIT = "fit", _("Fit to travel")
    FIT_WITH_ESCORT = "fit_with_escort", _("Fit to travel with a medical escort")
    UNFIT = "unfit", _("Unfit to travel")


class BestInterestsOutcome(models.TextChoices):
    RETURN = "return", _("Return is in the child's best interests")
    NO_RETURN = "no_return", _("Return is not in the child's best interests")


class ProtectionReferralTo(models.TextChoices):
    ASYLUM_AUTHORITY = "asylum_authority", _("National asylum authority")
    UNHCR = "unhcr", _("UNHCR")
