"""What must be true before a return is submitted, approved or referred out, as the transition guards.

The same checks feed the checklist on the case page (shown before anyone tries) and the 409 of the API.
"""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.choices import CaseStatus
from cases.household import ADULT_AGE, age_on
from cases.transitions import Unmet, effect, guard
from screening.choices import BestInterestsOutcome, CounsellingOutcome, CounsellingTopic, ProtectionReferralTo


def is_adult(member) -> bool:
    return member.date_of_birth is not None and age_on(member.date_of_birth, timezone.localdate()) >= ADULT_AGE


def needs_best_interests(member) -> bool:
    """A child travelling without a parent: unaccompanied, or separated (with adults, none a parent)."""
    return not is_adult(member) and (member.is_unaccompanied_child or member.is_separated_child)


MESSAGES = {
    "counselling_missing": _("No counselling session is recorded."),
    "counselling_not_wishing_to_return": _("The latest counselling session does not record a wish to return."),
    "counselling_topics_missing": _("Counselling has not covered: %(topics)s."),
    "protection_screening_missing": _("%(name)s has not been screened for protection needs."),
    "protection_flag_open": _("%(name)s fears return: the protection flag is open."),
    "declaration_missing": _("%(name)s has not signed a declaration of voluntary return (or withdrew it)."),
    "best_interests_missing": _("%(name)s has no best-interests determination."),
    "best_interests_not_return": _("The best-interests determination of %(name)s does not conclude return."),
    "guardian_consent_missing": _("The guardian of %(name)s has not consented to the return."),
    "same_person_cannot_approve": _("You registered or submitted this case: another supervisor must approve it."),
    "no_protection_flag": _("Only a case with an open protection flag is referred out."),
    "referral_recipient_missing": _("Choose where the person is referred: the asylum authority or UNHCR."),
}


def unmet(code: str, member=None, **context) -> Unmet:
    params = {"name": member.full_name, **context} if member is not None else context
    return Unmet(code=code, message=MESSAGES[code] % params if params else MESSAGES[code],
                 member_id=member.pk if member is not None else None, context=context)


def counselling_unmet(case) -> list[Unmet]:
    sessions = list(case.counselling_sessions.order_by("held_on", "id"))
    if not sessions:
        return [unmet("counselling_missing")]
    found = []
    if sessions[-1].outcome != CounsellingOutcome.WISHES_TO_RETURN:
        found.append(unmet("counselling_not_wishing_to_return"))
    covered = {topic for session in sessions for topic in session.topics}
    missing = [CounsellingTopic(t).label for t in CounsellingTopic.values if t not in covered]
    if missing:
        found.append(unmet("counselling_topics_missing", topics="; ".join(str(m) for m in missing)))
    return found


def member_unmet(member) -> list[Unmet]:
    """One person's missing conditions: screening, flag, declaration (adults), best interests (children alone)."""
    found = []
    protection = getattr(member, "protection", None)
    if protection is None:
        found.append(unmet("protection_screening_missing", member))
    elif protection.flag_open:
        found.append(unmet("protection_flag_open", member))
    if is_adult(member):
        if not any(d.withdrawn_on is None for d in member.declarations.all()):
            found.append(unmet("declaration_missing", member))
    elif needs_best_interests(member):
        found += best_interests_unmet(member)
    return found


def best_interests_unmet(member) -> list[Unmet]:
    record = getattr(member, "best_interests", None)
    if record is None:
        return [unmet("best_interests_missing", member)]
    found = []
    if record.outcome != BestInterestsOutcome.RETURN:
        found.append(unmet("best_interests_not_return", member))
    if not record.guardian_consent:
        found.append(unmet("guardian_consent_missing", member))
    return found


def members_for_checks(case):
    from screening.models import ProtectionScreening  # noqa: F401  (related names used below)

    return case.members.select_related("protection", "best_interests").prefetch_related("declarations")


def submission_unmet(case) -> list[Unmet]:
    """Everything that keeps the case from being submitted for approval, in the order the checklist shows it."""
    found = counselling_unmet(case)
    for member in members_for_checks(case):
        found += member_unmet(member)
    return found


@guard(CaseStatus.PENDING_APPROVAL)
def submission_guard(case, actor, extra) -> list[Unmet]:
    return submission_unmet(case)


@guard(CaseStatus.APPROVED)
def approval_guard(case, actor, extra) -> list[Unmet]:
    """Four eyes, whatever the approver's roles; and the submission conditions must still hold."""
    if case.status != CaseStatus.PENDING_APPROVAL:
        return []  # back to approved after an unbooking or a no-show: no new approval
    found = []
    if actor.pk in (case.created_by_id, case.submitted_by_id):
        found.append(unmet("same_person_cannot_approve"))
    return found + submission_unmet(case)


@guard(CaseStatus.REFERRED_OUT)
def referral_out_guard(case, actor, extra) -> list[Unmet]:
    found = []
    if not case.has_protection_flag:
        found.append(unmet("no_protection_flag"))
    if extra.get("referred_to") not in ProtectionReferralTo.values:
        found.append(unmet("referral_recipient_missing"))
    return found


@effect(CaseStatus.REFERRED_OUT)
def protection_referral_record(case, actor, extra) -> None:
    from screening.models import ProtectionReferral

    ProtectionReferral.objects.create(case=case, referred_to=extra["referred_to"], referred_by=actor)
