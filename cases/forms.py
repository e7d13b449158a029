"""Browser forms: they only parse what was typed; the rules live in the services (cases.registration)."""

import uuid
from datetime import date

from django import forms
from django.forms.boundfield import BoundField
from django.utils.translation import gettext_lazy as _

from accounts.choices import Country, Role
from accounts.models import Office, Programme
from cases.choices import ConsentType, DocumentType, DuplicateDecisionKind, HowHeard, Relationship, Sex
from cases.permissions import user_assignments
from cases.registration import DOCUMENT_NUMBER, FULL_CASE_FIELDS, FULL_MEMBER_FIELDS, QUICK_FIELDS

BLANK = [("", "—")]
# Always asked, even in quick mode (with the date of birth or an estimated age and the relationship).
ALWAYS_REQUIRED = set(QUICK_FIELDS) | {"relationship", "programme", "office", "destination_country", "consent_type"}
REQUIRED_IN_FULL_MODE = set(FULL_MEMBER_FIELDS) | set(FULL_CASE_FIELDS)


def html_pattern(regex) -> str:
    """A Python regex as an HTML `pattern` (anchored by the browser, compiled with the `v` flag: `-` needs escaping)."""
    return regex.pattern.removeprefix("^").removesuffix("$").replace("-]", "\\-]")


class BootstrapBoundField(BoundField):
    """Marks a field with errors `is-invalid`, keeping the widget's own classes."""

    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        if self.errors:
            widget = widget or self.field.widget
            attrs["class"] = f"{attrs.get('class') or widget.attrs.get('class', '')} is-invalid".strip()
            attrs["aria-describedby"] = f"{self.auto_id}_error"
        return attrs


class HouseholdFormBase(forms.Form):
    bound_field_class = BootstrapBoundField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.required_in = ("always" if name in ALWAYS_REQUIRED
                                 else "full" if name in REQUIRED_IN_FULL_MODE else "")
            if field.required_in == "always":
                field.widget.attrs["aria-required"] = "true"


def text(max_length: int, label, **attrs) -> forms.CharField:
    return forms.CharField(label=label, max_length=max_length, required=False,
                           widget=forms.TextInput(attrs={"class": "form-control", **attrs}))


def code_select(choices, label) -> forms.CharField:
    """A select whose value the service checks, so an unknown code gets the service's own message."""
    return forms.CharField(label=label, required=False,
                           widget=forms.Select(choices=BLANK + list(choices), attrs={"class": "form-select"}))


def date_input(label, **attrs) -> forms.DateField:
    return forms.DateField(label=label, required=False,
                           widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date", "class": "form-control",
                                                                            **attrs}))


def caseworker_offices(user) -> list[Office]:
    """The booths where the user registers cases."""
    return [a.office for a in user_assignments(user) if a.role == Role.CASEWORKER and a.office]


def default_programme(offices: list[Office]) -> Programme | None:
    """The only programme registering in the booth's country, if there is exactly one."""
    if len(offices) != 1:
        return None
    programmes = list(Programme.objects.filter(registration_countries__contains=[offices[0].country])[:2])
    return programmes[0] if len(programmes) == 1 else None


class RegistrationForm(HouseholdFormBase):
    """The case part of the household form: consent first, then where and how."""

    consent_type = forms.CharField(label=_("Consent to collect data"), required=False,
                                   widget=forms.RadioSelect(choices=ConsentType.choices,
                                                            attrs={"class": "form-check-input",
                                                                   "data-consent-type": ""}))
    consent_reason = forms.CharField(label=_("Why is the consent not explicit?"), required=False,
                                     widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}))
    consent_date = date_input(_("Date of consent"), **{"data-not-future": _("A date cannot be in the future.")})
    quick = forms.BooleanField(label=_("Quick mode (surge): only the minimum now, complete the case later"),
                               required=False,
                               widget=forms.CheckboxInput(attrs={"class": "form-check-input", "data-quick-mode": ""}))
    programme = forms.ModelChoiceField(label=_("Programme"), queryset=Programme.objects.order_by("code"),
                                       required=False, empty_label="—",
                                       widget=forms.Select(attrs={"class": "form-select"}))
    office = forms.ModelChoiceField(label=_("Registering office"), queryset=Office.objects.none(), required=False,
                                    empty_label="—", widget=forms.Select(attrs={"class": "form-select"}))
    destination_country = code_select(Country.choices, _("Country of return"))
    how_heard = code_select(HowHeard.choices, _("How they heard of the programme"))
    intake_date = date_input(_("Intake date"), **{"data-not-future": _("The intake date cannot be in the future.")})
    caseworker_notes = forms.CharField(label=_("Caseworker notes"), required=False,
                                       widget=forms.Textarea(attrs={"class": "form-control", "rows": 3}))
    confirm_duplicates = forms.BooleanField(label=_("I checked the people above: this is a new case"),
                                            required=False,
                                            widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))
    # A retried POST over a weak connection returns the first case instead of registering a second one.
    idempotency_key = forms.CharField(required=False, max_length=100, widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        offices = caseworker_offices(user)
        kwargs.setdefault("initial", {
            "office": offices[0] if len(offices) == 1 else None, "programme": default_programme(offices),
            "intake_date": date.today(), "consent_date": date.today(), "idempotency_key": uuid.uuid4().hex,
        })
        super().__init__(*args, **kwargs)
        self.fields["office"].queryset = Office.objects.filter(pk__in=[o.pk for o in offices]).order_by("code")


class MemberForm(HouseholdFormBase):
    """One person of the household, as typed."""

    given_names = text(120, _("Given names"), autocomplete="off")
    family_names = text(120, _("Family names"), autocomplete="off")
    sex = code_select(Sex.choices, _("Sex"))
    relationship = code_select(Relationship.choices, _("Relationship to the principal"))
    date_of_birth = date_input(_("Date of birth"),
                               **{"data-not-future": _("The date of birth cannot be in the future.")})
    estimated_age = forms.IntegerField(label=_("or estimated age"), required=False,
                                       widget=forms.NumberInput(attrs={"class": "form-control", "min": 0, "max": 120,
                                                                       "inputmode": "numeric"}))
    nationality = code_select(Country.choices, _("Nationality"))
    document_type = code_select(DocumentType.choices, _("Document type"))
    document_number = text(40, _("Document number"), pattern=html_pattern(DOCUMENT_NUMBER), autocomplete="off",
                           title=_("A document number has 5 to 26 letters and digits (spaces and hyphens allowed "
                                   "inside)."), **{"data-uppercase": ""})
    document_issuing_country = code_select(Country.choices, _("Issued by"))
    phone = text(32, _("Phone"), type="tel", inputmode="tel")
    country_of_residence = code_select(Country.choices, _("Country of residence"))
    languages = text(120, _("Languages"))
    place_of_origin = text(120, _("Place of origin (municipality)"))
    intended_destination = text(120, _("Intended destination"))


class BaseMemberFormSet(forms.BaseFormSet):
    def typed_forms(self) -> list[MemberForm]:
        """The member rows with something typed in them (an untouched added row is not a person)."""
        return [form for form in self.forms if form.has_changed()]


MemberFormSet = forms.formset_factory(MemberForm, formset=BaseMemberFormSet, extra=0)


def member_formset(data=None) -> BaseMemberFormSet:
    return MemberFormSet(data, prefix="members", initial=None if data else [{"relationship": Relationship.PRINCIPAL}])


class DuplicateDecisionForm(forms.Form):
    member = forms.IntegerField()
    candidate = forms.IntegerField()
    decision = forms.ChoiceField(choices=DuplicateDecisionKind.choices)


class CaseEditForm(forms.Form):
    """The case's own fields; the rules are in cases.services.case_update."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    destination_country = forms.ChoiceField(label=_("Country of return"), choices=Country.choices)
    how_heard = forms.ChoiceField(label=_("How they heard of the programme"),
                                  choices=[("", "—"), *HowHeard.choices], required=False)
    intake_date = forms.DateField(label=_("Intake date"), widget=forms.DateInput(format="%Y-%m-%d",
                                                                                 attrs={"type": "date"}))
    caseworker_notes = forms.CharField(label=_("Caseworker notes"), widget=forms.Textarea(attrs={"rows": 4}),
                                       required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)


class PrincipalChangeForm(forms.Form):
    """Who becomes the principal, and how each other member is related to them; the rules are in the service."""

    bound_field_class = BootstrapBoundField
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    principal = forms.ChoiceField(label=_("New principal"), required=False, widget=forms.RadioSelect)

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["principal"].choices = [(str(m.pk), m.full_name) for m in members]
        choices = BLANK + [(v, label) for v, label in Relationship.choices if v != Relationship.PRINCIPAL]
        for member in members:
            field = forms.ChoiceField(label=_("Relationship to the new principal"), choices=choices, required=False,
                                      widget=forms.Select(attrs={"class": "form-select"}))
            field.conflict_label = _("Relationship of %(name)s to the new principal") % {"name": member.full_name}
            self.fields[f"relationship_{member.pk}"] = field

    def relationships(self) -> dict[int, str]:
        return {int(name.removeprefix("relationship_")): value for name, value in self.cleaned_data.items()
                if name.startswith("relationship_")}


def principal_change_initial(case, members) -> dict:
    principal = next((m.pk for m in members if m.relationship == Relationship.PRINCIPAL), "")
    return {"version": case.version, "principal": str(principal)} | {
        f"relationship_{m.pk}": "" if m.relationship == Relationship.PRINCIPAL else m.relationship for m in members}
