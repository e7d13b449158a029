"""Irreversible moves (`confirm=True` in the lifecycle tables; a test holds these questions to them) ask first, at the page door: a POST without `confirmed=1` answers with a confirmation step
and changes nothing; the confirmation resends the same fields with `confirmed=1`. With JavaScript the same question
opens in a dialog (static/js/confirm.js) and the page below is never seen. The services are the same either way."""

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

CASE_QUESTIONS = {
    "withdrawn": (_("Withdraw the case?"),
                  _("The household will not travel. This cannot be undone: a new return needs a new case.")),
    "closed": (_("Close the case?"), _("A closed case takes no more assistance, referrals or changes.")),
    "referred_out": (_("Refer the case out?"),
                     _("The person leaves the programme for the asylum authority or UNHCR. This cannot be undone.")),
}
MOVEMENT_QUESTIONS = {
    "departed": (_("Record the departure?"),
                 _("Whoever is ticked is on the way and whoever is not is marked as not boarded. This cannot be "
                   "undone.")),
    "cancelled": (_("Cancel the movement?"),
                  _("Every household booked on it goes back to approved. A cancelled movement cannot be reopened.")),
}
DEVICE_QUESTIONS = {
    "revoked": (_("Withdraw this tablet from service?"),
                _("It can no longer sync nor unlock its queue. What is queued on it is not lost: the booth exports it "
                  "and hands the file to you. This cannot be undone: the tablet has to be enrolled again.")),
}
UNSENT = {"csrfmiddlewaretoken", "confirmed"}


def confirmation_step(request, questions: dict, to: str, *, back: str, may_act=None) -> HttpResponse | None:
    """The confirmation page for an irreversible move not yet confirmed; None when the move may go ahead.

    `may_act` checks the record first: it raises 404 for who may not see it, and is false for who sees it but has no
    part in the move (the service then refuses them as it always did, without asking a question first).
    """
    if to not in questions or request.POST.get("confirmed") == "1":
        return None
    if may_act is not None and not may_act():
        return None
    title, consequence = questions[to]
    fields = [(name, value) for name, values in request.POST.lists() if name not in UNSENT for value in values]
    return render(request, "confirm.html", {"title": title, "consequence": consequence, "fields": fields,
                                            "action": request.path, "back": back, "to": to})


def confirm_dialog(request) -> dict:
    """The same questions for the dialog the pages open with JavaScript (a context processor)."""
    questions = {to: [title, consequence] for to, (title, consequence) in (CASE_QUESTIONS | MOVEMENT_QUESTIONS | DEVICE_QUESTIONS).items()}
    return {"confirm_dialog": {"questions": questions, "yes": _("Yes, go ahead"), "no": _("No, go back")}}
