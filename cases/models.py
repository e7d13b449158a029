from datetime import date

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from accounts.choices import Country
from cases.choices import (
    CaseStatus,
    CaseTransferKind,
    ConsentScope,
    ConsentType,
    DocumentType,
    DuplicateDecisionKind,
    HowHeard,
    Relationship,
    Sex,
)


# A case that needs attention: a vulnerability recorded, or a child travelling unaccompanied or separated. The list's
# filter and its partial index use this one expression, so the planner can prove the index answers the filter.
ANY_VULNERABILITY = (~models.Q(vulnerability_kinds=[]) | models.Q(has_unaccompanied_child=True)
                     | models.Q(has_separated_child=True))


class Case(models.Model):
    """A household returning together. The scope columns decide who may see it (cases.permissions)."""

    reference = models.CharField(_("reference"), max_length=32, unique=True)
    programme = models.ForeignKey("accounts.Programme", on_delete=models.PROTECT, verbose_name=_("programme"))
    registering_office = models.ForeignKey(
        "accounts.Office", on_delete=models.PROTECT, related_name="registered_cases", verbose_name=_("registering office")
    )
    # Denormalised from the office so that a movement officer's country filter is one indexed column.
    registration_country = models.CharField(_("country of registration"), max_length=2, choices=Country.choices)
    destination_country = models.CharField(_("country of return"), max_length=2, choices=Country.choices)
    reception_centre = models.ForeignKey(
        "accounts.Office", on_delete=models.PROTECT, null=True, blank=True, related_name="incoming_cases",
        verbose_name=_("reception centre"),
    )
    assigned_caseworker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="assigned_cases",
        verbose_name=_("assigned caseworker"),
    )
    status = models.CharField(_("status"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.REGISTERED)
    caseworker_notes = models.TextField(_("caseworker notes"), blank=True)
    how_heard = models.CharField(_("how they heard of the programme"), max_length=20, choices=HowHeard.choices,
                                 blank=True, db_default="")
    # Quick mode during surges: the minimum now, completed later from the "incomplete" queue.
    is_incomplete = models.BooleanField(_("incomplete"), default=False, db_default=False)
    # Derived from the members (cases.household), kept here so every list can filter and show them.
    has_unaccompanied_child = models.BooleanField(_("unaccompanied child"), default=False, db_default=False,
                                                  editable=False)
    has_separated_child = models.BooleanField(_("separated child"), default=False, db_default=False, editable=False)
    # Derived from screening (screening.services): a "yes" to fear of return not yet resolved blocks approval.
    has_protection_flag = models.BooleanField(_("protection flag"), default=False, db_default=False, editable=False)
    vulnerability_kinds = ArrayField(models.CharField(max_length=24), default=list, blank=True, editable=False,
                                     verbose_name=_("vulnerabilities"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False,
        verbose_name=_("submitted for approval by"),
    )
    submitted_at = models.DateTimeField(_("submitted for approval"), null=True, blank=True, editable=False)
    closure_reason = models.CharField(_("why the case was closed"), max_length=16, blank=True, db_default="",
                                      editable=False)
    intake_date = models.DateField(_("intake date"), default=date.today)
    split_from = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="splits",
                                   verbose_name=_("split from"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("registered by")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    # Set once by retention.services.case_anonymise: the household's counts stay, its personal values are gone.
    anonymised_at = models.DateTimeField(_("anonymised"), null=True, blank=True, editable=False)
    # The reference a booth tablet printed on the migrant's slip while offline (sync.ReferenceBlock), kept so the
    # slip still finds the case.
    provisional_reference = models.CharField(_("provisional reference"), max_length=32, blank=True, db_default="",
                                             editable=False)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        permissions = [("approve_case", _("Can approve the return of this case"))]
        # Each scope has an index ending in id, so a list page is a backward index scan that stops after 26 rows.
        indexes = [
            models.Index(fields=["registering_office", "id"], name="case_office_scope"),
            models.Index(fields=["registering_office", "status", "id"], name="case_office_status"),
            models.Index(fields=["programme", "registration_country", "id"], name="case_programme_scope"),
            models.Index(fields=["registration_country", "id"], name="case_country_scope"),
            models.Index(fields=["reception_centre", "id"], name="case_reception_scope"),
            models.Index(fields=["assigned_caseworker", "id"], name="case_assignee"),
            models.Index(fields=["registering_office", "is_incomplete", "id"], name="case_incomplete_queue",
                         condition=models.Q(is_incomplete=True)),
            models.Index(fields=["programme", "submitted_at"], name="case_approval_queue",
                         condition=models.Q(status="pending_approval")),
            models.Index(fields=["submitted_by", "submitted_at"], name="case_submitted_waiting",
                         condition=models.Q(status="pending_approval")),
            models.Index(fields=["submitted_at"], name="case_oldest_waiting", condition=models.Q(status="pending_approval")),
            # The home pages' work lists, oldest change first, a page at a time: without them the page read every
            # case of the reception centre or the country and sorted thousands (~200 ms at 1M cases).
            models.Index(fields=["reception_centre", "updated_at"], name="case_arrivals_work",
                         condition=models.Q(status__in=["booked", "in_transit"])),
            models.Index(fields=["registration_country", "updated_at"], name="case_to_book_work",
                         condition=models.Q(status="approved")),
            GinIndex(fields=["vulnerability_kinds"], name="case_vulnerabilities"),
            # The flag filters walk these newest first and stop at a page, whatever the scope: a flag is rare, and
            # reading a scope's index for one would go through every case of the scope when none matches.
            models.Index(fields=["-id"], name="case_unaccompanied_child",
                         condition=models.Q(has_unaccompanied_child=True)),
            models.Index(fields=["-id"], name="case_any_vulnerability", condition=ANY_VULNERABILITY),
            models.Index(fields=["provisional_reference"], name="case_provisional_reference",
                         condition=~models.Q(provisional_reference="")),
        ]

    def __str__(self) -> str:
        return self.reference



class CaseCount(models.Model):
    """How many cases have one combination of the scope columns and one status: what the dashboards count.

    A trigger on cases_case appends +1/-1 rows in the same transaction as each insert, status or scope change and
    delete (appended, so two registrations at one booth never wait on one counter row); beat folds them into one
    row per combination (`case_counts_fold`). A dashboard sums its scope's rows: hundreds, never the case table.
    """

    programme = models.ForeignKey("accounts.Programme", on_delete=models.DO_NOTHING, db_constraint=False,
                                  related_name="+")
    registering_office = models.ForeignKey("accounts.Office", on_delete=models.DO_NOTHING, db_constraint=False,
                                           related_name="+")
    registration_country = models.CharField(max_length=2)
    destination_country = models.CharField(max_length=2)
    reception_centre = models.ForeignKey("accounts.Office", on_delete=models.DO_NOTHING, db_constraint=False,
                                         null=True, related_name="+")
    status = models.CharField(max_length=20)
    total = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["registering_office", "status"], name="case_count_office"),
                   models.Index(fields=["registration_country", "status"], name="case_count_country")]

class Member(models.Model):
    """A person in a household case."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="members", verbose_name=_("case"))
    relationship = models.CharField(_("relationship to the principal"), max_length=16, choices=Relationship.choices)
    given_names = models.CharField(_("given names"), max_length=120)
    family_names = models.CharField(_("family names"), max_length=120)
    sex = models.CharField(_("sex"), max_length=8, choices=Sex.choices)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    date_of_birth_estimated = models.BooleanField(_("date of birth estimated"), default=False)
    nationality = models.CharField(_("nationality"), max_length=2, choices=Country.choices)
    document_type = models.CharField(_("document type"), max_length=24, choices=DocumentType.choices, blank=True)
    document_number = models.CharField(_("document number"), max_length=40, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    needs_medical_attention = models.BooleanField(_("needs medical attention"), default=False)
    country_of_residence = models.CharField(_("country of residence"), max_length=2, choices=Country.choices,
                                            blank=True, db_default="")
    document_issuing_country = models.CharField(_("document issued by"), max_length=2, choices=Country.choices,
                                                blank=True, db_default="")
    languages = models.CharField(_("languages"), max_length=120, blank=True, db_default="")
    place_of_origin = models.CharField(_("place of origin (municipality)"), max_length=120, blank=True, db_default="")
    intended_destination = models.CharField(_("intended destination"), max_length=120, blank=True, db_default="")
    # Derived from the household, never typed (cases.household).
    is_unaccompanied_child = models.BooleanField(_("unaccompanied child"), default=False, db_default=False,
                                                 editable=False)
    is_separated_child = models.BooleanField(_("separated child"), default=False, db_default=False, editable=False)
    same_person_as = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                       verbose_name=_("same person as"))
    # Blocking keys for duplicate detection (cases.dedup), written by the services, indexed.
    name_key = models.CharField(max_length=255, blank=True, editable=False)
    family_initials = models.CharField(max_length=8, blank=True, editable=False)
    birth_year = models.SmallIntegerField(null=True, blank=True, editable=False)
    document_key = models.CharField(max_length=40, blank=True, editable=False)
    phone_key = models.CharField(max_length=16, blank=True, editable=False)
    # The same tokens as name_key, as an array: name search is `@>` on a GIN index (core PostgreSQL, no pg_trgm).
    name_tokens = ArrayField(models.CharField(max_length=60), default=list, blank=True, editable=False)
    # The age on the day of return, kept when the birth date is coarsened to its year, so donor reports keep their
    # age bands (reports.aggregates); empty while the birth date is whole.
    age_at_return = models.PositiveSmallIntegerField(_("age on the day of return"), null=True, blank=True,
                                                     editable=False)
    # Set when the person's own erasure request was carried out (rights.services.member_erasure_request).
    erased_at = models.DateTimeField(_("erased"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["case", "id"]
        verbose_name = _("member")
        verbose_name_plural = _("members")
        indexes = [
            # name_key and id included: the given-name test of a block is answered from the index alone.
            models.Index(fields=["nationality", "family_initials", "birth_year"], include=["name_key", "id"],
                         name="member_name_block_covering"),
            # No pending list: every search would scan it unindexed, and the insert that fills it would flush it.
            GinIndex(fields=["name_tokens"], name="member_name_tokens", fastupdate=False),
            models.Index(fields=["document_key"], name="member_document_block", condition=~models.Q(document_key="")),
            models.Index(fields=["phone_key"], name="member_phone_block", condition=~models.Q(phone_key="")),
        ]

    def __str__(self) -> str:
        return f"{self.given_names} {self.family_names}"

    @property
    def full_name(self) -> str:
        return f"{self.given_names} {self.family_names}"


class NameWord(models.Model):
    """One word of somebody's name, once: the vocabulary a name search widens its words against (prefix, typo).

    Kept by triggers on cases_member in the writer's transaction (cases/migrations/0017_name_words.py); a word no
    member has any more (an erased or anonymised person's) leaves it. It says no more than that some member has it.
    """

    # "C" collation: `word >= 'hern' AND word < 'hern{'` is a range of this index, whatever the database's locale.
    word = models.CharField(max_length=60, primary_key=True, db_collation="C")

    def __str__(self) -> str:
        return self.word


class CaseUserObjectPermission(UserObjectPermissionBase):
    """A case shared with one user outside its scope (direct FK: no generic-table scans)."""

    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)


class CaseGroupObjectPermission(GroupObjectPermissionBase):
    """A case shared with a team; preferred over per-user grants."""

    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)


class ReferenceCounter(models.Model):
    """The last number handed out per office and year; references are never reused."""

    office = models.ForeignKey("accounts.Office", on_delete=models.PROTECT)
    year = models.PositiveIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["office", "year"], name="reference_counter_unique")]


class CaseEvent(models.Model):
    """One change of a case's status: who, when, from, to, why."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events", verbose_name=_("case"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("who"))
    at = models.DateTimeField(_("when"), auto_now_add=True)
    from_status = models.CharField(_("from"), max_length=20, choices=CaseStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=CaseStatus.choices)
    note = models.TextField(_("why"), blank=True)

    class Meta:
        ordering = ["case", "at", "id"]
        verbose_name = _("case event")
        verbose_name_plural = _("case events")


class CaseTransfer(models.Model):
    """A supervisor gave the case to another caseworker, or moved it to another office: who, when, from, to, why."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="transfers", verbose_name=_("case"))
    kind = models.CharField(_("kind"), max_length=10, choices=CaseTransferKind.choices)
    from_office = models.ForeignKey("accounts.Office", on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("from office"))
    to_office = models.ForeignKey("accounts.Office", on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("to office"))
    from_caseworker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                        related_name="+", verbose_name=_("from caseworker"))
    to_caseworker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="+", verbose_name=_("to caseworker"))
    reason = models.TextField(_("reason"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by"))
    at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        ordering = ["case", "at", "id"]
        verbose_name = _("case transfer")
        verbose_name_plural = _("case transfers")


class Consent(models.Model):
    """Purpose-bound consent: per scope (and recipient), how it was given, by whom it was recorded."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="consents", verbose_name=_("case"))
    member = models.ForeignKey(Member, on_delete=models.CASCADE, null=True, blank=True, related_name="consents",
                               verbose_name=_("member"))
    scope = models.CharField(_("scope"), max_length=20, choices=ConsentScope.choices)
    recipient = models.CharField(_("recipient"), max_length=160, blank=True)
    # A referral's consent points at the institution by key: renaming it, or reading in another language, keeps it.
    institution = models.ForeignKey("reception.Institution", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="consents", verbose_name=_("institution"))
    purpose = models.CharField(_("purpose"), max_length=160, blank=True)
    # The referral service this sharing is for (reception.choices.Service), when it was recorded for a referral.
    service = models.CharField(_("service"), max_length=16, blank=True, db_default="")
    type = models.CharField(_("type"), max_length=10, choices=ConsentType.choices)
    reason = models.TextField(_("why not explicit"), blank=True)
    given_on = models.DateField(_("date"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")


class DuplicateDecision(models.Model):
    """A caseworker's answer to "is this the same person?", kept so the question is not asked again."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+", verbose_name=_("member"))
    candidate = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+", verbose_name=_("candidate"))
    decision = models.CharField(_("decision"), max_length=10, choices=DuplicateDecisionKind.choices)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "candidate"], name="duplicate_decision_once")]


class IdempotencyKey(models.Model):
    """A client's Idempotency-Key: a retried create returns the first result, never a second case."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64)  # SHA-256 of the key the client sent (avr.idempotency.key_digest)
    # SHA-256 of the request the key was first used for; the same key with another request is refused.
    request_hash = models.CharField(max_length=64, blank=True, default="")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_once")]
