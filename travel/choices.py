from django.db import models
from django.utils.translation import gettext_lazy as _


class MovementMode(models.TextChoices):
    BUS = "bus", _("Bus convoy")
    FLIGHT = "flight", _("Flight")
    MIXED = "mixed", _("Mixed (bus and flight)")


class MovementStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    CONFIRMED = "confirmed", _("Confirmed")
    DEPARTED = "departed", _("Departed")
    ARRIVED = "arrived", _("Arrived")
    CANCELLED = "cancelled", _("Cancelled")


# Bookings are taken until the vehicle leaves.
OPEN_FOR_BOOKING = [MovementStatus.PLANNED, MovementStatus.CONFIRMED]


class BookingStatus(models.TextChoices):
    BOOKED = "booked", _("Booked")
    BOARDED = "boarded", _("Boarded")
    NO_SHOW = "no_show", _("Did not board")
    CANCELLED = "cancelled", _("Cancelled")


# A seat is taken by these bookings.
SEAT_TAKING = [BookingStatus.BOOKED, BookingStatus.BOARDED]


class TravelDocumentType(models.TextChoices):
    PASSPORT = "passport", _("Passport")
    CONSULAR_DOCUMENT = "consular_document", _("Consular emergency document")


class TravelDocumentStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    ISSUED = "issued", _("Issued")
    READY = "ready", _("Ready")
    CANCELLED = "cancelled", _("Cancelled")


class EscortKind(models.TextChoices):
    OPERATIONAL = "operational", _("Operational escort")
    MEDICAL = "medical", _("Medical escort")
    CHILD = "child", _("Child escort")


class SupportKind(models.TextChoices):
    FOOD = "food", _("Food")
    WATER = "water", _("Water")
    PSYCHOSOCIAL = "psychosocial", _("Psychosocial support")
    FIRST_AID = "first_aid", _("First aid")


class ManifestBuildStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    BUILDING = "building", _("Building")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


MANIFEST_BUILD_OPEN = [ManifestBuildStatus.QUEUED, ManifestBuildStatus.BUILDING]
