"""Browser forms for counselling and screening: they parse what was typed; the rules live in screening.services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.choices import ConsentScope, ConsentType
from cases.forms import BootstrapBoundField
from screening.choices import (
    BestInterestsOutcome,
    CounsellingOutcome,
    CounsellingTopic,
    FitnessOutcome,
    ProtectionReferralTo,
    Severity,
    VulnerabilityKind,
)

YES_NO = [("yes", _("Yes")), ("no", _("No"))]


def control(widget_class=forms.TextInput, **attrs):
    css = "form-select" if widget_class is forms.Select else "form-check-input" if widget_class in (
        forms.CheckboxInput, forms.CheckboxSelectMultiple, forms.RadioSelect) else "form-control"
    return widget_class(attrs={"class": css, **attrs})


def not_future(value) -> None:
    """The services' own rule, checked with the other fields too, so that every error shows in one round."""
    from screening.services import not_in_future

    for errors in not_in_future(value, "date").values():
        raise forms.ValidationError(errors)


def date_field(label, required=True, past=False):
    # <input type="date"> only takes ISO dates: a localised value (20/11/2018) would show as empty.
    return forms.DateField(label=label, required=required, validators=[not_future] if past else [],
                           widget=forms.DateInput(format="%Y-%m-%d", attrs={"class": "form-control", "type": "date"}))


class ScreeningForm(forms.Form):
    bound_field_class = BootstrapBoundField


class CounsellingSessionForm(ScreeningForm):
    held_on = date_field(_("Date"), past=True)
    language = forms.CharField(label=_("Language"), max_length=60, widget=control())
    interpreter = forms.CharField(label=_("Interpreter"), max_length=120, required=False, widget=control())
    topics = forms.MultipleChoiceField(label=_("Topics covered"), choices=CounsellingTopic.choices, required=False,
                                       widget=forms.CheckboxSelectMultiple)
    questions = forms.CharField(label=_("The migrant's questions"), required=False,
                                widget=control(forms.Textarea, rows=3))
    outcome = forms.ChoiceField(label=_("Outcome"), choices=CounsellingOutcome.choices, widget=control(forms.Select))
    notes = forms.CharField(label=_("Counselling notes (confidential)"), required=False,
                            widget=control(forms.Textarea, rows=4))


class MemberScreeningForm(ScreeningForm):
    """Protection, vulnerabilities and fitness; restricted fields appear only for those who may read them."""

    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    fear_of_return = forms.ChoiceField(label=_("Does the person fear return?"), choices=YES_NO,
                                       widget=forms.RadioSelect)
    narrative = forms.CharField(label=_("Protection narrative (restricted)"), required=False,
                                widget=control(forms.Textarea, rows=4))
    pending_asylum_claim = forms.BooleanField(label=_("Has a pending asylum claim"), required=False,
                                              widget=control(forms.CheckboxInput))
    threats = forms.BooleanField(label=_("Has received threats"), required=False, widget=control(forms.CheckboxInput))
    screened_on = date_field(_("Screened on"), past=True)
    needs_medical_attention = forms.BooleanField(label=_("Needs medical attention"), required=False,
                                                 widget=control(forms.CheckboxInput))
    fitness_outcome = forms.ChoiceField(label=_("Fitness to travel"), required=False,
                                        choices=[("", _("Not assessed"))] + FitnessOutcome.choices,
                                        widget=control(forms.Select))
    fitness_assessed_on = date_field(_("Assessed on"), required=False, past=True)
    fitness_clinician = forms.CharField(label=_("Clinician"), max_length=120, required=False, widget=control())
    fitness_detail = forms.CharField(label=_("Medical detail (restricted)"), required=False,
                                     widget=control(forms.Textarea, rows=3))

    def __init__(self, *args, protection_cleared: bool, medical_cleared: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not protection_cleared:
            del self.fields["narrative"]
        if not medical_cleared:
            del self.fields["fitness_detail"]
        for kind, label in VulnerabilityKind.choices:
            self.fields[f"vulnerability_{kind}"] = forms.ChoiceField(
                label=label, required=False, choices=[("", _("No"))] + Severity.choices,
                widget=control(forms.Select))
            self.fields[f"specialised_{kind}"] = forms.BooleanField(
                label=_("Needs a specialised assessment"), required=False, widget=control(forms.CheckboxInput))
            self.fields[f"specialised_{kind}"].conflict_label = f"{label}: {_('Needs a specialised assessment')}"

    def clean(self):
        data = super().clean()
        if data.get("fitness_outcome") and not (data.get("fitness_assessed_on") and data.get("fitness_clinician")):
            self.add_error("fitness_clinician", _("Give the clinician and the date of the assessment."))
        return data

    def vulnerability_rows(self):
        return [(self[f"vulnerability_{kind}"], self[f"specialised_{kind}"]) for kind in VulnerabilityKind.values]

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        protection = {"fear_of_return": data["fear_of_return"] == "yes", "screened_on": data["screened_on"],
                      "pending_asylum_claim": data["pending_asylum_claim"], "threats": data["threats"]}
        if "narrative" in self.fields:
            protection["narrative"] = data["narrative"]
        fitness = None
        if data.get("fitness_outcome"):
            fitness = {"outcome": data["fitness_outcome"], "assessed_on": data["fitness_assessed_on"],
                       "clinician": data["fitness_clinician"]}
            if "fitness_detail" in self.fields:
                fitness["detail"] = data["fitness_detail"]
        vulnerabilities = [{"kind": kind, "severity": data[f"vulnerability_{kind}"],
                            "needs_specialised_assessment": data[f"specialised_{kind}"]}
                           for kind in VulnerabilityKind.values if data.get(f"vulnerability_{kind}")]
        return {"expected_version": data.get("version"), "protection": protection, "fitness": fitness,
                "vulnerabilities": vulnerabilities, "needs_medical_attention": data["needs_medical_attention"]}


def member_screening_initial(member, screening: dict) -> dict:
    protection, fitness = screening["protection"] or {}, screening["fitness"] or {}
    initial = {"needs_medical_attention": member.needs_medical_attention}
    if protection:
        initial |= {"version": protection["version"], "fear_of_return": "yes" if protection["fear_of_return"] else "no",
                    "narrative": protection.get("narrative", ""), "screened_on": protection["screened_on"],
                    "pending_asylum_claim": protection["pending_asylum_claim"], "threats": protection["threats"]}
    if fitness:
        initial |= {"fitness_outcome": fitness["outcome"], "fitness_assessed_on": fitness["assessed_on"],
                    "fitness_clinician": fitness["clinician"], "fitness_detail": fitness.get("detail", "")}
    for item in screening["vulnerabilities"]:
        initial[f"vulnerability_{item['kind']}"] = item["severity"]
        initial[f"specialised_{item['kind']}"] = item["needs_specialised_assessment"]
    return initial


class BestInterestsForm(ScreeningForm):
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    responsible_authority = forms.CharField(label=_("Responsible authority"), max_length=160, widget=control())
    guardian_name = forms.CharField(label=_("Guardian"), max_length=160, widget=control())
    child_views = forms.CharField(label=_("The child's views"), widget=control(forms.Textarea, rows=3))
    options_considered = forms.CharField(label=_("Options considered"), widget=control(forms.Textarea, rows=3))
    family_tracing_result = forms.CharField(label=_("Family tracing result"), required=False,
                                            widget=control(forms.Textarea, rows=2))
    outcome = forms.ChoiceField(label=_("Outcome"), choices=BestInterestsOutcome.choices, widget=control(forms.Select))
    decided_on = date_field(_("Decided on"), past=True)
    guardian_consent = forms.BooleanField(label=_("The guardian consents to the return"), required=False,
                                          widget=control(forms.CheckboxInput))
    guardian_consent_on = date_field(_("Guardian's consent given on"), required=False, past=True)


class DeclarationForm(ScreeningForm):
    signed_on = date_field(_("Signed on"), past=True)
    witness = forms.CharField(label=_("Witness"), max_length=160, widget=control())
    scan = forms.FileField(label=_("Scan of the signed declaration (optional)"), required=False,
                           widget=control(forms.ClearableFileInput, accept="application/pdf,image/jpeg,image/png"))


class ConsentForm(ScreeningForm):
    scope = forms.ChoiceField(label=_("Consent to"), choices=[c for c in ConsentScope.choices if c[0] != "collection"],
                              widget=control(forms.Select))
    recipient = forms.CharField(label=_("Recipient"), max_length=160, required=False, widget=control(
        placeholder=_("e.g. Consulate of Honduras")))
    purpose = forms.CharField(label=_("Purpose"), max_length=160, required=False, widget=control(
        placeholder=_("e.g. travel document")))
    type = forms.ChoiceField(label=_("How was it given?"), choices=ConsentType.choices, widget=control(forms.Select))
    reason = forms.CharField(label=_("Why not explicit"), required=False, widget=control())
    given_on = date_field(_("Date"), past=True)


class ReferralOutForm(forms.Form):
    referred_to = forms.ChoiceField(label=_("Referred to"), choices=ProtectionReferralTo.choices)
