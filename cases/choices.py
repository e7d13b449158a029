from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseStatus(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    SCREENING = "screening", _("Screening")
    PENDING_APPROVAL = "pending_approval", _("Pending approval")
    APPROVED = "approved", _("Approved")
    BOOKED = "booked", _("Booked")
    IN_TRANSIT = "in_transit", _("In transit")
    ARRIVED = "arrived", _("Arrived")
    CLOSED = "closed", _("Closed")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    REFERRED_OUT = "referred_out", _("Referred out")
    REJECTED = "rejected", _("Rejected")
    ON_HOLD = "on_hold", _("On hold")
    NO_SHOW = "no_show", _("No show")


OPEN_STATUSES = [s for s in CaseStatus.values if s not in ("closed", "withdrawn", "referred_out")]


class Sex(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")


class Relationship(models.TextChoices):
    PRINCIPAL = "principal", _("Principal")
    SPOUSE = "spouse", _("Spouse or partner")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    SIBLING = "sibling", _("Sibling")
    OTHER = "other", _("Other relative or companion")


class DocumentType(models.TextChoices):
    PASSPORT = "passport", _("Passport")
    NATIONAL_ID = "national_id", _("National identity card")
    BIRTH_CERTIFICATE = "birth_certificate", _("Birth certificate")
    CONSULAR_DOCUMENT = "consular_document", _("Consular emergency document")
    OTHER = "other", _("Other document")


class HowHeard(models.TextChoices):
    BOOTH_OUTREACH = "booth_outreach", _("Outreach at a booth")
    SHELTER = "shelter", _("Shelter staff")
    CONSULATE = "consulate", _("Consulate")
    AUTHORITIES = "authorities", _("Migration authorities")
    SOCIAL_MEDIA = "social_media", _("Social media or radio")
    WORD_OF_MOUTH = "word_of_mouth", _("Family, friends or other migrants")
    OTHER = "other", _("Other")


class ConsentType(models.TextChoices):
    EXPLICIT = "explicit", _("Explicit")
    IMPLICIT = "implicit", _("Implicit")
    PROXY = "proxy", _("By a proxy")


class ConsentScope(models.TextChoices):
    COLLECTION = "collection", _("Collection of data")
    VOLUNTARY_RETURN = "voluntary_return", _("Declaration of voluntary return")
    SHARING = "sharing", _("Sharing with an institution")
    FOLLOW_UP = "follow_up", _("Follow-up contact")


class DuplicateDecisionKind(models.TextChoices):
    SAME = "same", _("Same person")
    DIFFERENT = "different", _("Different person")


class CaseTransferKind(models.TextChoices):
    REASSIGN = "reassign", _("Reassigned to another caseworker")
    TRANSFER = "transfer", _("Transferred to another office")
