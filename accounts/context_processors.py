from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.choices import Role
from cases.permissions import user_roles
from reports.services import report_programmes

NAV_BY_ROLE = {
    Role.CASEWORKER: [("case_list", _("Cases")), ("case_register", _("Register a household")),
                      ("import_list", _("Imports")),
                      ("booth", _("Booth (offline)")), ("sync_conflicts", _("Tablet conflicts")),
                      ("sync_devices", _("Booth tablets"))],
    Role.SUPERVISOR: [("case_list", _("Cases")), ("approval_queue", _("Approvals")),
                      ("import_list", _("Imports")),
                      ("sync_conflicts", _("Tablet conflicts")), ("sync_devices", _("Booth tablets")),
                      ("report_list", _("Donor reports")), ("retention_review", _("Retention review")),
                      ("break_glass_request", _("Emergency access"))],
    Role.MOVEMENT_OFFICER: [("case_list", _("Approved cases")), ("movement_list", _("Movements"))],
    Role.RECEPTION_STAFF: [("arrivals", _("Arrivals")), ("case_list", _("Expected arrivals")),
                           ("referral_list", _("Referrals")), ("follow_up_queue", _("Follow-up calls"))],
    Role.ADMIN: [("report_list", _("Donor reports")), ("admin:index", _("Administration")),
                 ("admin:audit_auditevent_changelist", _("Audit log")), ("retention_review", _("Retention review")),
                 ("break_glass_request", _("Emergency access"))],
}


def navigation(request):
    """The menu of the signed-in user's roles, without duplicates."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "user_roles": []}
    roles = [r for r in Role.values if r in user_roles(user)]
    items, seen = [], set()
    # A supervisor of a country without a programme has no report to ask for: no menu item leading to a 404.
    if report_programmes(user) == []:
        seen.add("report_list")
    for role in roles:
        for url_name, label in NAV_BY_ROLE[role]:
            if url_name not in seen:
                seen.add(url_name)
                items.append({"url": reverse(url_name), "label": label, "name": url_name})
    return {"nav_items": items, "user_roles": [Role(r).label for r in roles]}
