"""Browser forms of the reception centre: they parse what was typed; the rules live in reception.services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.choices import ConsentType
from cases.forms import BootstrapBoundField
from reception.choices import (
    REFERRAL_MOVES,
    AnswerType,
    AssistanceKind,
    AttemptOutcome,
    ChildAuthority,
    ClosureReason,
    ContactChannel,
    Currency,
    HandoverTo,
    ReferralStatus,
    Service,
)
from reception.instruments import answer_field, item_text, option_text
from reception.models import Institution
from screening.forms import YES_NO, control, date_field

# What staff usually pick in each country of return (they can change it).
AUTHORITY_BY_COUNTRY = {"HN": ChildAuthority.DINAF, "SV": ChildAuthority.CONNA, "GT": ChildAuthority.SBS,
                        "NI": ChildAuthority.MIFAN}
CURRENCY_BY_COUNTRY = {"HN": Currency.HNL, "SV": Currency.USD, "GT": Currency.GTQ, "NI": Currency.NIO}
UNKNOWN_YES_NO = [("", _("Not asked")), ("yes", _("Yes")), ("no", _("No"))]


def datetime_field(label, required=True):
    # <input type="datetime-local"> only takes ISO values without seconds: anything else would show as empty.
    return forms.DateTimeField(label=label, required=required, widget=forms.DateTimeInput(
        format="%Y-%m-%dT%H:%M", attrs={"class": "form-control", "type": "datetime-local"}))


class ReceptionForm(forms.Form):
    bound_field_class = BootstrapBoundField


class CheckInForm(ReceptionForm):
    """One scan (the boarding code's text) or one button of the expected list (member, arrived or not, why)."""

    qr = forms.CharField(required=False, max_length=300)
    member = forms.IntegerField(required=False)
    arrived = forms.ChoiceField(required=False, choices=[("1", "1"), ("0", "0")])
    reason = forms.CharField(required=False, max_length=300)

    def clean(self):
        data = super().clean()
        if not (data.get("qr") or "").strip() and not data.get("member"):
            raise forms.ValidationError(_("Scan a boarding code or choose a person of the list."))
        return data

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {"member_id": data.get("member"), "qr": data.get("qr") or "",
                "arrived": data.get("arrived") != "0", "reason": data.get("reason") or ""}


class HandoverForm(ReceptionForm):
    authority = forms.ChoiceField(label=_("Receiving authority"), choices=ChildAuthority.choices,
                                  widget=control(forms.Select))
    authority_other = forms.CharField(label=_("Other authority (name it)"), max_length=160, required=False,
                                      widget=control())
    official_name = forms.CharField(label=_("Official's name"), max_length=160, widget=control())
    official_position = forms.CharField(label=_("Official's position"), max_length=160, widget=control())
    handed_over_at = datetime_field(_("Handed over at"))
    goes_to = forms.ChoiceField(label=_("The child goes to"), choices=HandoverTo.choices,
                                widget=control(forms.RadioSelect))
    goes_to_name = forms.CharField(label=_("Name of the family member or shelter"), max_length=160,
                                   widget=control())


class AssistanceForm(ReceptionForm):
    """One item given; `request_key` is made when the form is shown, so a resubmission finds the first item."""

    request_key = forms.CharField(max_length=100, widget=forms.HiddenInput)
    kind = forms.ChoiceField(label=_("What is given"), choices=AssistanceKind.choices, widget=control(forms.Select))
    amount = forms.DecimalField(label=_("Amount (transport money only)"), required=False, max_digits=10,
                                decimal_places=2, min_value=0,
                                widget=control(forms.NumberInput, step="0.01", inputmode="decimal"))
    currency = forms.ChoiceField(label=_("Currency"), required=False, choices=[("", "—")] + Currency.choices,
                                 widget=control(forms.Select))
    note = forms.CharField(label=_("Note"), max_length=300, required=False, widget=control())

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        money = data["kind"] == AssistanceKind.TRANSPORT_MONEY
        return {"kind": data["kind"], "request_key": data["request_key"], "amount": data.get("amount"),
                "currency": (data.get("currency") or "") if money else "", "note": data.get("note") or ""}


class KitDeliveryForm(ReceptionForm):
    quantity = forms.IntegerField(label=_("Kits received"), min_value=1, max_value=100_000,
                                  widget=control(forms.NumberInput))
    received_on = date_field(_("Received on"))
    note = forms.CharField(label=_("Note"), max_length=300, required=False, widget=control())


class InstitutionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.municipality})" if obj.municipality else obj.name


class ReferralForm(ReceptionForm):
    """A referral to an institution of the case's country of return; the consent fields show when it is missing."""

    institution = InstitutionChoiceField(label=_("Institution"), queryset=Institution.objects.none(),
                                         widget=control(forms.Select))
    service = forms.ChoiceField(label=_("Service"), choices=Service.choices, widget=control(forms.Select))
    due_on = date_field(_("Answer due on (empty: in 15 days)"), required=False)
    note = forms.CharField(label=_("Note for the follow-up (stays here, not on the slip)"), required=False,
                           widget=control(forms.Textarea, rows=2))

    def __init__(self, *args, country: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = Institution.objects.filter(is_active=True, country=country)


class ReferralConsentForm(ReceptionForm):
    """The person's consent to share their data with the institution for the service, asked at the centre."""

    consent_given = forms.BooleanField(label=_("I explained what will be shared, with whom and why, and the person "
                                               "agrees"), widget=control(forms.CheckboxInput))
    consent_type = forms.ChoiceField(label=_("Consent"), choices=ConsentType.choices, initial=ConsentType.EXPLICIT,
                                     widget=control(forms.Select))
    consent_reason = forms.CharField(label=_("Why the consent is not explicit"), required=False, max_length=300,
                                     widget=control())


class ReferralUpdateForm(ReceptionForm):
    """One row of the referrals list: the institution's answer, a new due date or a note."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(label=_("Status"), choices=ReferralStatus.choices, widget=control(forms.Select))
    due_on = date_field(_("Answer due on"), required=False)
    note = forms.CharField(label=_("Note"), required=False, widget=control(forms.Textarea, rows=1))

    def __init__(self, *args, referral, loaded_status: str | None = None, **kwargs):
        kwargs.setdefault("auto_id", f"referral-{referral.pk}-%s")  # one form per row: ids must not repeat
        super().__init__(*args, **kwargs)
        # The choices the user was offered: a status someone else moved on since must reach the stale check.
        status = loaded_status if loaded_status in REFERRAL_MOVES else referral.status
        allowed = {status} | REFERRAL_MOVES.get(status, set())
        self.fields["status"].choices = [(v, label) for v, label in ReferralStatus.choices if v in allowed]

    def changes(self) -> dict:
        data = self.cleaned_data
        changes = {"status": data["status"], "note": data.get("note") or ""}
        if data.get("due_on"):
            changes["due_on"] = data["due_on"]
        return changes


class FollowUpForm(ReceptionForm):
    reached = forms.ChoiceField(label=_("Was the person reached?"), choices=YES_NO,
                                widget=control(forms.Select))
    safe = forms.ChoiceField(label=_("Do they feel safe?"), choices=UNKNOWN_YES_NO, required=False,
                             widget=control(forms.Select))
    working = forms.ChoiceField(label=_("Are they working?"), choices=UNKNOWN_YES_NO, required=False,
                                widget=control(forms.Select))
    needs = forms.CharField(label=_("What do they need?"), required=False, widget=control(forms.Textarea, rows=2))
    intends_to_migrate_again = forms.ChoiceField(label=_("Do they intend to migrate again?"),
                                                 choices=UNKNOWN_YES_NO, required=False,
                                                 widget=control(forms.Select))
    stop_contact = forms.BooleanField(
        label=_("The person asks not to be called again"), required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
        help_text=_("Their consent to be contacted is withdrawn: no more calls are scheduled or listed."))

    def data_for_service(self) -> dict:
        data = self.cleaned_data
        answers = {name: {"yes": True, "no": False}.get(data.get(name) or "")
                   for name in ("reached", "safe", "working", "intends_to_migrate_again")}
        return answers | {"needs": data.get("needs") or "", "stop_contact": bool(data.get("stop_contact"))}


class CaseCloseForm(ReceptionForm):
    reason = forms.ChoiceField(label=_("Why is the case closed?"), choices=ClosureReason.choices,
                               widget=control(forms.Select))
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=control())


class FollowUpAttemptForm(ReceptionForm):
    """One attempt to reach the person and, when completed, the questionnaire's answers (checked by the service)."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    request_key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    channel = forms.ChoiceField(label=_("How"), choices=ContactChannel.choices, widget=control(forms.Select))
    outcome = forms.ChoiceField(label=_("Outcome"), choices=AttemptOutcome.choices, widget=control(forms.Select))
    call_back_on = date_field(_("Call back on"), required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=300, widget=control())

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.items = list(items)
        for item in self.items:
            self.fields[answer_field(item)] = answer_form_field(item)

    def answers(self) -> dict:
        return {item.code: self.cleaned_data.get(answer_field(item), "") for item in self.items}

    def question_fields(self) -> list:
        return [self[answer_field(item)] for item in self.items]

    def attempt_fields(self) -> list:
        return [self[name] for name in ("channel", "outcome", "call_back_on", "note")]


SCALE_CHOICES = [(str(n), str(n)) for n in range(1, 6)]


def answer_form_field(item) -> forms.Field:
    """The question as a field in the reader's language; the range and the required answer are the service's."""
    label = item_text(item)
    if item.answer_type == AnswerType.YES_NO:
        return forms.ChoiceField(label=label, required=False, choices=[("", "—"), *YES_NO],
                                 widget=control(forms.Select))
    if item.answer_type == AnswerType.SCALE:
        return forms.ChoiceField(label=label, required=False, choices=[("", "—"), *SCALE_CHOICES],
                                 widget=control(forms.Select))
    if item.answer_type == AnswerType.CHOICE:
        options = [(o.get("code"), option_text(o)) for o in item.options]
        return forms.ChoiceField(label=label, required=False, choices=[("", "—"), *options],
                                 widget=control(forms.Select))
    if item.answer_type == AnswerType.NUMBER:
        return forms.CharField(label=label, required=False, max_length=30, widget=control(inputmode="decimal"))
    return forms.CharField(label=label, required=False, max_length=1000, widget=control(forms.Textarea, rows=2))


class SafeguardingCloseForm(ReceptionForm):
    note = forms.CharField(label=_("What was done"), max_length=2000, widget=control(forms.Textarea, rows=2))
