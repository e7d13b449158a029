"""Arrivals, child handovers, assistance, kit stock, the directory of institutions, referrals and follow-up."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.choices import Country
from reception.choices import (
    ONCE_PER_RETURN,
    AnswerType,
    AssistanceKind,
    AttemptOutcome,
    ChildAuthority,
    ContactChannel,
    Currency,
    FlagKind,
    FollowUpStatus,
    HandoverTo,
    ReferralStatus,
    ScoreDimension,
    Service,
)


class CheckIn(models.Model):
    """One traveller's arrival (or not) at the reception centre; one per booking, so a retried scan is harmless."""

    booking = models.OneToOneField("travel.Booking", on_delete=models.PROTECT, related_name="check_in",
                                   verbose_name=_("booking"))
    member = models.ForeignKey("cases.Member", on_delete=models.PROTECT, related_name="check_ins",
                               verbose_name=_("member"))
    arrived = models.BooleanField(_("arrived"))
    at = models.DateTimeField(_("checked in at"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                           verbose_name=_("checked in by"))
    reason = models.CharField(_("why they did not arrive"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")


class Handover(models.Model):
    """An unaccompanied child handed to the child-protection authority, and where the child goes."""

    member = models.OneToOneField("cases.Member", on_delete=models.PROTECT, related_name="handover",
                                  verbose_name=_("child"))
    authority = models.CharField(_("receiving authority"), max_length=10, choices=ChildAuthority.choices)
    authority_other = models.CharField(_("other authority"), max_length=160, blank=True)
    official_name = models.CharField(_("official's name"), max_length=160)
    official_position = models.CharField(_("official's position"), max_length=160)
    handed_over_at = models.DateTimeField(_("handed over at"))
    goes_to = models.CharField(_("the child goes to"), max_length=10, choices=HandoverTo.choices)
    goes_to_name = models.CharField(_("name of the family member or shelter"), max_length=160)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("child handover")
        verbose_name_plural = _("child handovers")


class Assistance(models.Model):
    """One item given to one person at the centre, with who gave it and when."""

    member = models.ForeignKey("cases.Member", on_delete=models.PROTECT, related_name="assistance",
                               verbose_name=_("member"))
    centre = models.ForeignKey("accounts.Office", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("reception centre"))
    kind = models.CharField(_("kind"), max_length=24, choices=AssistanceKind.choices)
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    given_at = models.DateTimeField(_("given at"))
    given_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("given by"))
    # The SHA-256 of the client's request key (form token or Idempotency-Key): a double click or a retry finds the
    # first item.
    request_key = models.CharField(max_length=100)

    class Meta:
        ordering = ["member", "given_at", "id"]
        verbose_name = _("assistance")
        verbose_name_plural = _("assistance")
        constraints = [
            models.UniqueConstraint(fields=["member", "request_key"], name="assistance_request_once"),
            models.UniqueConstraint(fields=["member", "kind"], condition=Q(kind__in=ONCE_PER_RETURN),
                                    name="assistance_once_per_return"),
        ]
        indexes = [models.Index(fields=["centre", "kind"], name="assistance_centre_kind")]


class KitStock(models.Model):
    """A centre's hygiene-kit stock settings; received and given are counted from their records."""

    centre = models.OneToOneField("accounts.Office", on_delete=models.PROTECT, related_name="kit_stock",
                                  verbose_name=_("reception centre"))
    low_threshold = models.PositiveIntegerField(_("warn when fewer than"), default=20)

    class Meta:
        verbose_name = _("kit stock")
        verbose_name_plural = _("kit stocks")


class KitDelivery(models.Model):
    """Hygiene kits received at a centre."""

    centre = models.ForeignKey("accounts.Office", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("reception centre"))
    quantity = models.PositiveIntegerField(_("kits received"))
    received_on = models.DateField(_("received on"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("recorded by"))

    class Meta:
        ordering = ["centre", "-received_on"]
        verbose_name = _("kit delivery")
        verbose_name_plural = _("kit deliveries")


class Institution(models.Model):
    """A government or partner service people can be referred to (admins keep the directory)."""

    name = models.CharField(_("name"), max_length=200)
    country = models.CharField(_("country"), max_length=2, choices=Country.choices)
    municipality = models.CharField(_("municipality"), max_length=120, blank=True)
    services = ArrayField(models.CharField(max_length=16, choices=Service.choices), verbose_name=_("services"))
    address = models.CharField(_("address"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=60, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    contact_person = models.CharField(_("contact person"), max_length=160, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["country", "municipality", "name"]
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")

    def __str__(self) -> str:
        return self.name


class Referral(models.Model):
    """A person referred to an institution for a service, followed until it answers."""

    member = models.ForeignKey("cases.Member", on_delete=models.PROTECT, related_name="referrals",
                               verbose_name=_("member"))
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="referrals",
                                    verbose_name=_("institution"))
    service = models.CharField(_("service"), max_length=16, choices=Service.choices)
    consent = models.ForeignKey("cases.Consent", on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("consent to share"))
    status = models.CharField(_("status"), max_length=10, choices=ReferralStatus.choices,
                              default=ReferralStatus.SENT)
    sent_on = models.DateField(_("sent on"))
    due_on = models.DateField(_("answer due on"))
    answered_on = models.DateField(_("answered on"), null=True, blank=True)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("referred by"))
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        indexes = [models.Index(fields=["status", "due_on"], name="referral_due")]


class FollowUp(models.Model):
    """A phone survey one to three months after return, with the person's consent to be contacted."""

    member = models.ForeignKey("cases.Member", on_delete=models.PROTECT, related_name="follow_ups",
                               verbose_name=_("member"))
    due_on = models.DateField(_("due on"))
    done_on = models.DateField(_("done on"), null=True, blank=True)
    # The person withdrew their consent to be contacted before the call was made: it is never made.
    cancelled_on = models.DateField(_("cancelled on"), null=True, blank=True)
    reached = models.BooleanField(_("reached"), null=True)
    safe = models.BooleanField(_("feels safe"), null=True)
    working = models.BooleanField(_("working"), null=True)
    needs = models.TextField(_("needs"), blank=True)
    intends_to_migrate_again = models.BooleanField(_("intends to migrate again"), null=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("recorded by"))
    # Empty for a follow-up made before plans existed (the programme's `follow_up_months`).
    step = models.ForeignKey("reception.FollowUpStep", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="follow_ups", verbose_name=_("step"))
    instrument_version = models.ForeignKey("reception.InstrumentVersion", on_delete=models.PROTECT, null=True,
                                           blank=True, related_name="follow_ups", verbose_name=_("questionnaire"))
    opens_on = models.DateField(_("window opens on"), null=True, blank=True)
    closes_on = models.DateField(_("window closes on"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=FollowUpStatus.choices,
                              default=FollowUpStatus.SCHEDULED)
    call_back_on = models.DateField(_("call back on"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        indexes = [models.Index(fields=["done_on", "due_on"], name="follow_up_due"),
                   models.Index(fields=["status", "opens_on"], name="follow_up_status")]
        constraints = [models.UniqueConstraint(fields=["member", "step"], condition=Q(step__isnull=False),
                                               name="follow_up_once_per_step")]


class Instrument(models.Model):
    """A questionnaire of the follow-up (e.g. reintegration monitoring), kept as numbered versions."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_es = models.CharField(_("name in Spanish"), max_length=160)
    name_en = models.CharField(_("name in English"), max_length=160)

    class Meta:
        ordering = ["code"]
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")

    def __str__(self) -> str:
        return self.code


class InstrumentVersion(models.Model):
    """One version of a questionnaire; frozen once in use (answers recorded, or follow-ups made from a step)."""

    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="versions",
                                   verbose_name=_("questionnaire"))
    number = models.PositiveSmallIntegerField(_("version number"))
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        ordering = ["instrument", "number"]
        verbose_name = _("questionnaire version")
        verbose_name_plural = _("questionnaire versions")
        constraints = [models.UniqueConstraint(fields=["instrument", "number"], name="instrument_version_once")]

    def __str__(self) -> str:
        return f"{self.instrument.code} v{self.number}"


class InstrumentItem(models.Model):
    """One question: its wording in both languages, the answers it takes, what it scores and what it flags.

    `options` (choice): [{"code": "...", "es": "...", "en": "...", "score": 0..1}]. `flag_when`: the raw answers
    ("yes", "2", an option's code) that raise `flag`. `weight` is the one part of a frozen question that may change:
    it changes the scores, never the meaning of an answer.
    """

    version = models.ForeignKey(InstrumentVersion, on_delete=models.CASCADE, related_name="items",
                                verbose_name=_("questionnaire version"))
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    code = models.SlugField(_("code"), max_length=40)
    text_es = models.CharField(_("question in Spanish"), max_length=300)
    text_en = models.CharField(_("question in English"), max_length=300)
    answer_type = models.CharField(_("answer type"), max_length=8, choices=AnswerType.choices)
    options = models.JSONField(_("options"), default=list, blank=True)
    min_value = models.DecimalField(_("smallest number"), max_digits=10, decimal_places=2, null=True, blank=True)
    max_value = models.DecimalField(_("largest number"), max_digits=10, decimal_places=2, null=True, blank=True)
    required = models.BooleanField(_("required"), default=True)
    dimension = models.CharField(_("dimension"), max_length=12, choices=ScoreDimension.choices, blank=True)
    reverse_scored = models.BooleanField(_("a higher answer scores lower"), default=False)
    weight = models.DecimalField(_("weight"), max_digits=5, decimal_places=2, default=1)
    flag = models.CharField(_("safeguarding flag"), max_length=20, choices=FlagKind.choices, blank=True)
    flag_when = models.JSONField(_("answers that raise the flag"), default=list, blank=True)

    class Meta:
        ordering = ["version", "order", "id"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="instrument_item_code_once")]

    def __str__(self) -> str:
        return self.code


class FollowUpPlan(models.Model):
    """A programme's follow-up: its steps, how many failed calls make someone unreachable, who gets the flags."""

    programme = models.OneToOneField("accounts.Programme", on_delete=models.PROTECT, related_name="follow_up_plan",
                                     verbose_name=_("programme"))
    max_failed_attempts = models.PositiveSmallIntegerField(_("failed attempts before unreachable"), default=3)
    protection_focal_point = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                               blank=True, related_name="+",
                                               verbose_name=_("protection focal point"))
    referral_due_days = models.PositiveSmallIntegerField(_("days to act on a safeguarding flag"), default=3)

    class Meta:
        verbose_name = _("follow-up plan")
        verbose_name_plural = _("follow-up plans")

    def __str__(self) -> str:
        return str(self.programme)

    def clean(self):
        # A safeguarding flag nobody is given is a flag nobody acts on.
        if not self.protection_focal_point_id:
            raise ValidationError({"protection_focal_point": _(
                "Name the protection focal point: the safeguarding flags of the answers are given to them.")})
        if self.max_failed_attempts < 1:
            raise ValidationError({"max_failed_attempts": _("At least one attempt.")})


class FollowUpStep(models.Model):
    """One survey of the plan: opens `offset_days` after arrival, stays open `window_days`."""

    plan = models.ForeignKey(FollowUpPlan, on_delete=models.CASCADE, related_name="steps", verbose_name=_("plan"))
    name = models.CharField(_("name"), max_length=80)
    offset_days = models.PositiveSmallIntegerField(_("days after arrival"))
    window_days = models.PositiveSmallIntegerField(_("days the window stays open"), default=14)
    # Empty: a call with the short questions of before plans existed.
    instrument_version = models.ForeignKey(InstrumentVersion, on_delete=models.PROTECT, null=True, blank=True,
                                           related_name="steps", verbose_name=_("questionnaire version"))

    class Meta:
        ordering = ["plan", "offset_days", "id"]
        verbose_name = _("follow-up step")
        verbose_name_plural = _("follow-up steps")

    def __str__(self) -> str:
        return self.name


class FollowUpAttempt(models.Model):
    """One try to reach the person: when, how, what came of it."""

    follow_up = models.ForeignKey(FollowUp, on_delete=models.PROTECT, related_name="attempts",
                                  verbose_name=_("follow-up"))
    # The follow-up's member again, so that anonymising the case (retention.plan, by member) empties the note.
    member = models.ForeignKey("cases.Member", on_delete=models.PROTECT, related_name="+", verbose_name=_("member"))
    at = models.DateTimeField(_("at"))
    channel = models.CharField(_("channel"), max_length=10, choices=ContactChannel.choices)
    outcome = models.CharField(_("outcome"), max_length=14, choices=AttemptOutcome.choices)
    call_back_on = models.DateField(_("call back on"), null=True, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                           verbose_name=_("by"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    # The SHA-256 of the form's one-time key or the Idempotency-Key: a double submit finds the first attempt.
    request_key = models.CharField(max_length=100)

    class Meta:
        ordering = ["follow_up", "at", "id"]
        verbose_name = _("follow-up attempt")
        verbose_name_plural = _("follow-up attempts")
        constraints = [models.UniqueConstraint(fields=["follow_up", "request_key"], name="follow_up_attempt_once")]


class FollowUpAnswer(models.Model):
    """The raw answer to one question, kept with the question (hence its version) it answered."""

    follow_up = models.ForeignKey(FollowUp, on_delete=models.PROTECT, related_name="answers",
                                  verbose_name=_("follow-up"))
    # As on attempts: anonymising the case empties the answers (the scores, numbers, stay for the donor reports).
    member = models.ForeignKey("cases.Member", on_delete=models.PROTECT, related_name="+", verbose_name=_("member"))
    item = models.ForeignKey(InstrumentItem, on_delete=models.PROTECT, related_name="answers",
                             verbose_name=_("question"))
    value = models.CharField(_("answer"), max_length=1000)

    class Meta:
        verbose_name = _("follow-up answer")
        verbose_name_plural = _("follow-up answers")
        constraints = [models.UniqueConstraint(fields=["follow_up", "item"], name="follow_up_answer_once")]


class FollowUpScore(models.Model):
    """A dimension's score of one completed follow-up, 0 to 1, computed from the answers and the current weights."""

    follow_up = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="scores",
                                  verbose_name=_("follow-up"))
    dimension = models.CharField(_("dimension"), max_length=12, choices=ScoreDimension.choices)
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=4)

    class Meta:
        verbose_name = _("follow-up score")
        verbose_name_plural = _("follow-up scores")
        constraints = [models.UniqueConstraint(fields=["follow_up", "dimension"], name="follow_up_score_once")]


class FollowUpFlag(models.Model):
    """A safeguarding answer (not safe, migrating again irregularly, health distress) on one follow-up."""

    follow_up = models.ForeignKey(FollowUp, on_delete=models.PROTECT, related_name="flags",
                                  verbose_name=_("follow-up"))
    member = models.ForeignKey("cases.Member", on_delete=models.PROTECT, related_name="follow_up_flags",
                               verbose_name=_("member"))
    kind = models.CharField(_("kind"), max_length=20, choices=FlagKind.choices)
    raised_at = models.DateTimeField(_("raised at"))

    class Meta:
        verbose_name = _("safeguarding flag")
        verbose_name_plural = _("safeguarding flags")
        constraints = [models.UniqueConstraint(fields=["follow_up", "kind"], name="follow_up_flag_once")]


class SafeguardingTask(models.Model):
    """What the protection focal point must do about a flag, by when; closed with a note."""

    flag = models.OneToOneField(FollowUpFlag, on_delete=models.PROTECT, related_name="task",
                                verbose_name=_("safeguarding flag"))
    # As on attempts: anonymising the case empties the focal point's note.
    member = models.ForeignKey("cases.Member", on_delete=models.PROTECT, related_name="+", verbose_name=_("member"))
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="safeguarding_tasks", verbose_name=_("protection focal point"))
    due_on = models.DateField(_("due on"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("closed by"))
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("safeguarding task")
        verbose_name_plural = _("safeguarding tasks")
