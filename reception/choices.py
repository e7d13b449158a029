from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class AssistanceKind(models.TextChoices):
    HYGIENE_KIT = "hygiene_kit", _("Hygiene kit")
    TRANSPORT_MONEY = "transport_money", _("Transport money")
    FOOD = "food", _("Food")
    MEDICAL = "medical_attention", _("Medical attention")
    PSYCHOSOCIAL = "psychosocial_support", _("Psychosocial support")
    LODGING = "lodging", _("Lodging")
    PHONE_CALL = "phone_call", _("Phone call")
    OTHER = "other", _("Other assistance")


# Given once per return: a second one is refused even with a new request.
ONCE_PER_RETURN = [AssistanceKind.HYGIENE_KIT, AssistanceKind.TRANSPORT_MONEY]


class Currency(models.TextChoices):
    HNL = "HNL", _("Honduran lempira (HNL)")
    GTQ = "GTQ", _("Guatemalan quetzal (GTQ)")
    USD = "USD", _("US dollar (USD)")
    MXN = "MXN", _("Mexican peso (MXN)")
    NIO = "NIO", _("Nicaraguan córdoba (NIO)")


class Service(models.TextChoices):
    HEALTH = "health", _("Health")
    PROTECTION = "protection", _("Protection against intra-family violence")
    EMPLOYMENT = "employment", _("Employment")
    EDUCATION = "education", _("Education")
    LEGAL_AID = "legal_aid", _("Legal aid")
    PSYCHOSOCIAL = "psychosocial", _("Psychosocial care")
    SHELTER = "shelter", _("Shelter")


class ReferralStatus(models.TextChoices):
    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", _("Accepted")
    COMPLETED = "completed", _("Completed")
    DECLINED = "declined", _("Declined")


REFERRAL_MOVES = {
    ReferralStatus.SENT: {ReferralStatus.ACCEPTED, ReferralStatus.DECLINED},
    ReferralStatus.ACCEPTED: {ReferralStatus.COMPLETED, ReferralStatus.DECLINED},
}


class ChildAuthority(models.TextChoices):
    DINAF = "dinaf", _("DINAF (Honduras)")
    CONNA = "conna", _("CONNA (El Salvador)")
    ISNA = "isna", _("ISNA (El Salvador)")
    SBS = "sbs", _("SBS (Guatemala)")
    PGN = "pgn", _("PGN (Guatemala)")
    MIFAN = "mifan", _("MIFAN (Nicaragua)")
    OTHER = "other", _("Other authority")


class HandoverTo(models.TextChoices):
    FAMILY = "family", _("A family member")
    SHELTER = "shelter", _("A shelter")


class ClosureReason(models.TextChoices):
    COMPLETED = "completed", _("Return completed")
    REFERRED_OUT = "referred_out", _("Referred out")
    WITHDREW = "withdrew", _("Withdrew")
    LOST_CONTACT = "lost_contact", _("Lost contact")
    OTHER = "other", _("Other")


class FollowUpStatus(models.TextChoices):
    SCHEDULED = "scheduled", pgettext_lazy("follow-up status", "Scheduled")
    DUE = "due", pgettext_lazy("follow-up status", "Due")
    OVERDUE = "overdue", pgettext_lazy("follow-up status", "Overdue")
    COMPLETED = "completed", pgettext_lazy("follow-up status", "Completed")
    UNREACHABLE = "unreachable", pgettext_lazy("follow-up status", "Unreachable")
    REFUSED = "refused", pgettext_lazy("follow-up status", "Refused")
    CANCELLED = "cancelled", pgettext_lazy("follow-up status", "Cancelled")


# A follow-up still to be made; the others are settled and leave the work queue.
OPEN_FOLLOW_UP = [FollowUpStatus.SCHEDULED, FollowUpStatus.DUE, FollowUpStatus.OVERDUE]


class ContactChannel(models.TextChoices):
    PHONE = "phone", _("Phone")
    WHATSAPP = "whatsapp", _("WhatsApp")
    VISIT = "visit", _("Visit")
    OTHER = "other", _("Other channel")


class AttemptOutcome(models.TextChoices):
    NO_ANSWER = "no_answer", _("No answer")
    WRONG_NUMBER = "wrong_number", _("Wrong number")
    CALL_BACK = "call_back", _("Call back")
    COMPLETED = "completed", pgettext_lazy("attempt outcome", "Completed")
    REFUSED = "refused", pgettext_lazy("attempt outcome", "Refused")


# Attempts that count towards "unreachable" (a call back or a refusal reached the person).
FAILED_OUTCOMES = [AttemptOutcome.NO_ANSWER, AttemptOutcome.WRONG_NUMBER]


class AnswerType(models.TextChoices):
    YES_NO = "yes_no", _("Yes or no")
    SCALE = "scale", _("Scale from 1 to 5")
    CHOICE = "choice", _("Choice from listed options")
    NUMBER = "number", _("Number")
    TEXT = "text", _("Free text")


class ScoreDimension(models.TextChoices):
    ECONOMIC = "economic", _("Economic")
    SOCIAL = "social", _("Social")
    PSYCHOSOCIAL = "psychosocial", _("Psychosocial")


class FlagKind(models.TextChoices):
    NOT_SAFE = "not_safe", _("Does not feel safe")
    MIGRATE_IRREGULARLY = "migrate_irregularly", _("Intends to migrate again irregularly")
    HEALTH_DISTRESS = "health_distress", _("Health distress")
