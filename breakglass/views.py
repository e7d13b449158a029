from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.mfa import TOTP_CODE, CodeCheck, code_refused_message, mfa_device
from accounts.signin import lockout_message
from breakglass.forms import BreakGlassForm, ReviewForm
from breakglass.selectors import grants_to_review, grants_waiting_count, may_ask_break_glass
from breakglass.services import AlreadyVisible, PasswordRefused, break_glass_grant, break_glass_review


def refusal_message(exc: Exception, request=None) -> str:
    """What a refused request says, in the user's language (the page and the API alike)."""
    if isinstance(exc, PasswordRefused):
        if exc.locked:
            return lockout_message(request)
        if exc.wait:
            return code_refused_message(CodeCheck(ok=False, wait=exc.wait))
        return _("Wrong code. Nothing was granted.") if exc.code else _("Wrong password. Nothing was granted.")
    if isinstance(exc, AlreadyVisible):
        return _("You already see this case through your own work: open it from the case list.")
    return _("No case you may ask for has this reference. Check it and try again.")


def password_or_code(user, typed: str) -> tuple[str, str]:
    """The form's one field holds the password or a code: six digits from an enrolled user are a code (a password
    cannot be six digits: at least ten characters, not all digits)."""
    if TOTP_CODE.match(typed.strip()) and mfa_device(user) is not None:
        return "", typed.strip()
    return typed, ""


@login_required
def break_glass_request(request):
    """Ask for emergency access to one case by its reference, with a reason and the password (or a code) again."""
    if not may_ask_break_glass(request.user):
        raise Http404
    form = BreakGlassForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        password, otp = password_or_code(request.user, data["password"])
        try:
            grant = break_glass_grant(actor=request.user, reference=data["reference"], reason=data["reason"],
                                      password=password, otp=otp, request=request)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        except (PasswordRefused, AlreadyVisible, Http404) as exc:
            form.add_error("password" if isinstance(exc, PasswordRefused) else None, refusal_message(exc, request))
        else:
            messages.warning(request, _("Emergency access granted. It is recorded and will be reviewed."))
            return redirect("case_detail", grant.case_id)
    status = 400 if form.errors else 200
    return render(request, "breakglass/request.html", {"form": form}, status=status)


@login_required
def break_glass_review_queue(request):
    """The emergency accesses to the reviewer's cases, waiting ones first."""
    if grants_waiting_count(request.user) is None:
        raise Http404
    grants = list(grants_to_review(request.user)[:200])
    return render(request, "breakglass/review.html", {"grants": grants, "form": ReviewForm()})


@login_required
@require_POST
def break_glass_review_view(request, pk: int):
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The note could not be saved: %(error)s")
                       % {"error": " ".join(e for errs in form.errors.values() for e in errs)})
        return redirect("break_glass_review")
    try:
        break_glass_review(actor=request.user, grant_id=pk, note=form.cleaned_data["note"], request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Marked reviewed."))
    return redirect("break_glass_review")
