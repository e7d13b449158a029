"""Movements (bus convoys and flights), their bookings, escorts, travel documents and border-crossing support."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.choices import Country
from travel.choices import (
    BookingStatus,
    EscortKind,
    ManifestBuildStatus,
    MovementMode,
    MovementStatus,
    SupportKind,
    TravelDocumentStatus,
    TravelDocumentType,
)


class Movement(models.Model):
    """One bus convoy or flight from a departure office to a reception centre."""

    reference = models.CharField(_("reference"), max_length=32, unique=True)
    mode = models.CharField(_("mode"), max_length=8, choices=MovementMode.choices)
    carrier = models.CharField(_("carrier"), max_length=120)
    vehicle = models.CharField(_("vehicle or flight number"), max_length=60, blank=True)
    departure_office = models.ForeignKey("accounts.Office", on_delete=models.PROTECT, related_name="+",
                                         verbose_name=_("departure office"))
    departure_place = models.CharField(_("departure place"), max_length=160, blank=True)
    departure_at = models.DateTimeField(_("departure"))
    # When the departure was recorded (the vehicle left): returns are counted by it, not by the plan.
    departed_at = models.DateTimeField(_("departed"), null=True, blank=True, editable=False)
    reception_centre = models.ForeignKey("accounts.Office", on_delete=models.PROTECT, related_name="+",
                                         verbose_name=_("reception centre"))
    # Denormalised from the departure office: movement officers see the movements of their country.
    country = models.CharField(_("country of departure"), max_length=2, choices=Country.choices, editable=False)
    capacity = models.PositiveIntegerField(_("seats"))
    status = models.CharField(_("status"), max_length=10, choices=MovementStatus.choices,
                              default=MovementStatus.PLANNED)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        ordering = ["departure_at", "id"]
        verbose_name = _("movement")
        verbose_name_plural = _("movements")
        indexes = [
            models.Index(fields=["country", "departure_at"], name="movement_country"),
            models.Index(fields=["reception_centre", "departure_at"], name="movement_reception"),
        ]

    def __str__(self) -> str:
        return self.reference


class MovementLeg(models.Model):
    """A stage of the journey, ending at a border crossing or at the destination."""

    movement = models.ForeignKey(Movement, on_delete=models.CASCADE, related_name="legs",
                                 verbose_name=_("movement"))
    order = models.PositiveSmallIntegerField(_("order"))
    crossing_point = models.CharField(_("border crossing or stop"), max_length=160)
    expected_at = models.DateTimeField(_("expected at"))

    class Meta:
        ordering = ["movement", "order"]
        verbose_name = _("leg")
        verbose_name_plural = _("legs")
        constraints = [models.UniqueConstraint(fields=["movement", "order"], name="leg_order_once")]


class Booking(models.Model):
    """One member's seat on a movement; a household is booked (and unbooked) together."""

    movement = models.ForeignKey(Movement, on_delete=models.PROTECT, related_name="bookings",
                                 verbose_name=_("movement"))
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="bookings", verbose_name=_("case"))
    member = models.ForeignKey("cases.Member", on_delete=models.PROTECT, related_name="bookings",
                               verbose_name=_("member"))
    seat = models.PositiveIntegerField(_("seat"))
    status = models.CharField(_("status"), max_length=10, choices=BookingStatus.choices,
                              default=BookingStatus.BOOKED)
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("booked by"))
    booked_at = models.DateTimeField(_("booked at"), auto_now_add=True)
    boarded_at = models.DateTimeField(_("boarded at"), null=True, blank=True)

    class Meta:
        ordering = ["movement", "seat"]
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        constraints = [
            # A person holds one seat at a time, and a seat one person: the database refuses a double booking.
            models.UniqueConstraint(fields=["member"], condition=Q(status__in=["booked", "boarded"]),
                                    name="booking_one_seat_per_member"),
            models.UniqueConstraint(fields=["movement", "seat"], condition=Q(status__in=["booked", "boarded"]),
                                    name="booking_seat_once"),
        ]


class TravelDocument(models.Model):
    """A passport or consular emergency document for one member, followed until it is ready."""

    member = models.ForeignKey("cases.Member", on_delete=models.CASCADE, related_name="travel_documents",
                               verbose_name=_("member"))
    type = models.CharField(_("type"), max_length=20, choices=TravelDocumentType.choices)
    number = models.CharField(_("number"), max_length=40, blank=True)
    issuing_consulate = models.CharField(_("issuing consulate"), max_length=160, blank=True)
    requested_on = models.DateField(_("requested on"), null=True, blank=True)
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=TravelDocumentStatus.choices)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["member", "-recorded_at", "-id"]
        verbose_name = _("travel document")
        verbose_name_plural = _("travel documents")


class Escort(models.Model):
    """A member of staff travelling with a movement, and the people they escort."""

    movement = models.ForeignKey(Movement, on_delete=models.CASCADE, related_name="escorts",
                                 verbose_name=_("movement"))
    name = models.CharField(_("name"), max_length=160)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                             related_name="+", verbose_name=_("staff user"))
    kind = models.CharField(_("kind"), max_length=12, choices=EscortKind.choices)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    members = models.ManyToManyField("cases.Member", blank=True, related_name="escorts",
                                     verbose_name=_("escorted members"))

    class Meta:
        ordering = ["movement", "kind", "name"]
        verbose_name = _("escort")
        verbose_name_plural = _("escorts")


class BorderSupport(models.Model):
    """Food or psychosocial support given to a movement's passengers at a crossing: counts, never names."""

    movement = models.ForeignKey(Movement, on_delete=models.CASCADE, related_name="border_support",
                                 verbose_name=_("movement"))
    crossing_point = models.CharField(_("border crossing or stop"), max_length=160)
    kind = models.CharField(_("kind"), max_length=12, choices=SupportKind.choices)
    count = models.PositiveIntegerField(_("people"))
    given_at = models.DateTimeField(_("given at"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("recorded by"))

    class Meta:
        ordering = ["movement", "given_at", "id"]
        verbose_name = _("border-crossing support")
        verbose_name_plural = _("border-crossing support")


class ManifestBuild(models.Model):
    """A manifest PDF made in the background for one requester and one state of the movement's passenger list.

    The PDF holds only the households its requester may see and the fields they may read, so it is theirs alone; a
    change to the bookings gives a new `passengers_version`, hence a new build, and leaves the old file stale.
    """

    movement = models.ForeignKey(Movement, on_delete=models.CASCADE, related_name="manifest_builds",
                                 verbose_name=_("movement"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                                     verbose_name=_("requested by"))
    passengers_version = models.CharField(_("passenger list version"), max_length=64)
    language = models.CharField(_("language"), max_length=5, default="es")
    status = models.CharField(_("status"), max_length=8, choices=ManifestBuildStatus.choices,
                              default=ManifestBuildStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)
    content = models.BinaryField(_("PDF"), null=True, blank=True, editable=False)
    # The cases the PDF carries, written to the audit log on each download.
    case_ids = models.JSONField(_("cases"), default=list, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("manifest build")
        verbose_name_plural = _("manifest builds")
        constraints = [models.UniqueConstraint(fields=["movement", "requested_by", "passengers_version"],
                                               name="manifest_build_once_per_passenger_list")]

    def __str__(self) -> str:
        return f"{self.movement} {self.passengers_version[:8]} {self.status}"
