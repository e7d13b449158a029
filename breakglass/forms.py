from django import forms
from django.utils.translation import gettext_lazy as _


class BreakGlassForm(forms.Form):
    reference = forms.CharField(label=_("Case reference"), max_length=32)
    reason = forms.CharField(label=_("Why you need this case now"), widget=forms.Textarea(attrs={"rows": 3}),
                             max_length=2000, strip=True)
    password = forms.CharField(label=_("Your password again, or a code from your authenticator app"),
                               widget=forms.PasswordInput, strip=False, max_length=256)


class ReviewForm(forms.Form):
    note = forms.CharField(label=_("Review note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))
