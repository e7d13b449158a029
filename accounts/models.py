from django.contrib.auth.models import AbstractUser
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.choices import Country, Language, OfficeKind, Role


class Office(models.Model):
    """A registration booth, field office, reception centre or headquarters."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=32, choices=OfficeKind.choices)
    country = models.CharField(_("country"), max_length=2, choices=Country.choices)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("office")
        verbose_name_plural = _("offices")

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class Programme(models.Model):
    """A return programme: who funds it, where people register and where they return to."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=160)
    donor = models.CharField(_("donor"), max_length=120, blank=True)
    registration_countries = ArrayField(
        models.CharField(max_length=2, choices=Country.choices), verbose_name=_("countries of registration"), default=list
    )
    return_countries = ArrayField(
        models.CharField(max_length=2, choices=Country.choices), verbose_name=_("countries of return"), default=list
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    children_fly_only = models.BooleanField(
        _("children travel only by flight"), default=False, db_default=False,
        help_text=_("When set, a household with a child can only be booked on a flight."),
    )
    suppression_threshold = models.PositiveSmallIntegerField(
        _("smallest count shown in donor reports"), null=True, blank=True,
        help_text=_("Counts below it are shown as “<N”. Empty: the site's default (5)."),
    )
    follow_up_months = models.PositiveSmallIntegerField(
        _("follow-up after (months)"), null=True, blank=True,
        help_text=_("1 to 3 to phone returnees who agreed to be contacted; empty for no follow-up."),
    )
    retention_months = models.PositiveSmallIntegerField(
        _("keep closed cases for (months)"), default=24, db_default=24,
        help_text=_("A closed case is put in the retention review queue this many months after its closure."),
    )
    retention_automatic = models.BooleanField(
        _("anonymise due cases without review"), default=False, db_default=False,
        help_text=_("When set, due cases are anonymised each night without a person's confirmation."),
    )
    data_protection_focal_point = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("data-protection focal point"),
        help_text=_("Told of every emergency access to a case of the programme, and may review it."),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"

    def clean(self):
        if self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("The end date cannot be before the start date.")})
        if self.follow_up_months is not None and not 1 <= self.follow_up_months <= 3:
            raise ValidationError({"follow_up_months": _("Follow up between one and three months after return.")})


class User(AbstractUser):
    """A member of staff. What they may see comes from their assignments, never from this row alone."""

    language = models.CharField(
        _("preferred language"), max_length=5, choices=Language.choices, blank=True,
        help_text=_("Leave empty to follow the country of the user's office."),
    )
    # Clearances open restricted notes beyond what the user's roles show (cases.permissions).
    is_protection_cleared = models.BooleanField(
        _("protection-cleared"), default=False, db_default=False,
        help_text=_("May read protection narratives (fear of return) of the cases the user's roles show."),
    )
    # Bumped by a database trigger whenever one of the user's assignments, or an office or programme they are
    # assigned to, changes (every door: admin, services, bulk updates, SQL). It keys the per-process cache of the
    # assignments (cases.permissions), so a change is seen on the very next request on every web node.
    version = models.PositiveIntegerField(_("access version"), default=0, db_default=0, editable=False)
    is_medical_cleared = models.BooleanField(
        _("medical-cleared"), default=False, db_default=False,
        help_text=_("May read medical detail (fitness to travel) of the cases the user's roles show."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")


class Assignment(models.Model):
    """One role of one user at an office, in a programme, or for a country."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("user"))
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    office = models.ForeignKey(Office, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("office"))
    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("programme")
    )
    country = models.CharField(_("country"), max_length=2, choices=Country.choices, blank=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "office", "programme", "country"],
                name="assignment_unique", nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        where = self.office or self.programme or self.country or _("headquarters")
        return f"{self.get_role_display()} @ {where}"

    def clean(self):
        needs = ROLE_SCOPE.get(self.role)
        if needs == "office" and not self.office:
            raise ValidationError({"office": _("This role needs an office.")})
        if needs == "reception_centre" and (not self.office or self.office.kind != OfficeKind.RECEPTION_CENTRE):
            raise ValidationError({"office": _("Reception staff must be assigned to a reception centre.")})
        if needs == "programme_or_country" and not (self.programme or self.country):
            raise ValidationError({"programme": _("A supervisor needs a programme or a country.")})
        if needs == "country" and not self.country:
            raise ValidationError({"country": _("A movement officer needs a country.")})


# What each role's assignment must name: its scope.
ROLE_SCOPE = {
    Role.CASEWORKER: "office",
    Role.SUPERVISOR: "programme_or_country",
    Role.MOVEMENT_OFFICER: "country",
    Role.RECEPTION_STAFF: "reception_centre",
    Role.ADMIN: None,
}


class ApiToken(models.Model):
    """One API token of one user, one per device or client; only a digest of its key is kept.

    It stops working when revoked, after `API_TOKEN_IDLE_HOURS` without use, or at `expires_at`
    (`API_TOKEN_MAX_DAYS` after it was made), whichever comes first (accounts.authentication).
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user"))
    public_id = models.CharField(_("token id"), max_length=16, unique=True, editable=False)
    key_digest = models.CharField(_("key digest"), max_length=64, unique=True, editable=False)
    label = models.CharField(_("client"), max_length=120, blank=True)
    created_ip = models.GenericIPAddressField(_("created from"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"))
    last_used_at = models.DateTimeField(_("last used"))
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        indexes = [models.Index(fields=["user", "revoked_at"], name="api_token_user_live")]

    def __str__(self) -> str:
        return f"{self.public_id} ({self.user_id})"


class MfaReset(models.Model):
    """A request to remove a user's second factor (lost phone); it takes effect only when a second admin approves.

    Approval deletes the user's authenticator and recovery codes, revokes their API tokens and ends their
    sessions: they set up a new authenticator at their next sign-in (accounts.services.mfa_reset_approve).
    """

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="mfa_resets", verbose_name=_("user"),
                             help_text=_("Whose second factor is to be removed."))
    reason = models.TextField(_("reason"), help_text=_("Why, and how the person's identity was checked."))
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("requested by"))
    requested_at = models.DateTimeField(_("requested"))
    approved_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", null=True, blank=True,
                                    verbose_name=_("approved by"))
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("two-factor reset")
        verbose_name_plural = _("two-factor resets")
        permissions = [("approve_mfareset", _("Can approve a two-factor reset"))]

    def __str__(self) -> str:
        return f"{self.user} ({self.requested_at:%Y-%m-%d})"
