"""What must be true before a return is submitted, approved or referred out, and the safeguards of every step.

The guards are named in the case lifecycle (cases.transitions.ALLOWED) and registered here, where the facts they read
live. The same checks feed the checklist on the case page (shown before anyone tries), the API's 409, bulk approval
and the admin action.
"""

from django.utils.translation import gettext_lazy as _

from cases.household import child_flags
from cases.permissions import FieldGroup
from cases.people import is_adult
from cases.transitions import MoveContext, Unmet, effect, guard
from screening.choices import BestInterestsOutcome, CounsellingOutcome, CounsellingTopic, FitnessOutcome, \
    ProtectionReferralTo

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
    "fitness_missing": _("%(name)s needs medical attention and has no fitness-to-travel assessment."),
    "unfit_to_travel": _("%(name)s is not fit to travel."),
    "same_person_cannot_approve": _("You registered or submitted this case: another supervisor must approve it."),
    "no_protection_flag": _("Only a case with an open protection flag is referred out."),
    "referral_recipient_missing": _("Choose where the person is referred: the asylum authority or UNHCR."),
}


# Who may be told each condition: its message states a screening fact, or (fitness) what the "needs medical
# attention" flag already tells movement officers, who book the medical escort it may need.
TOLD_TO = {code: FieldGroup.VULNERABILITY for code in MESSAGES} | {
    "fitness_missing": FieldGroup.MEDICAL_FLAG, "unfit_to_travel": FieldGroup.MEDICAL_FLAG,
    "same_person_cannot_approve": "", "referral_recipient_missing": ""}


def unmet(code: str, member=None, **context) -> Unmet:
    params = {"name": member.full_name, **context} if member is not None else context
    return Unmet(code=code, message=MESSAGES[code] % params if params else MESSAGES[code],
                 member_id=member.pk if member is not None else None, context=context, field_group=TOLD_TO[code])


def members_with_screening(context: MoveContext) -> list:
    """The household with its screening records, read once per move (the guards below share it)."""
    cached = getattr(context, "_screened_members", None)
    if cached is None:
        cached = list(context.case.members.select_related("protection", "best_interests", "fitness")
                      .prefetch_related("declarations").order_by("id"))
        context._screened_members = cached
    return cached


def without_parent_on(members: list, day) -> set[int]:
    """The ids of the children who travel without a parent on `day` (unaccompanied or separated then)."""
    flags = child_flags(members, day)
    return {member.pk for index, member in enumerate(members) if any(flags[index])}


def needs_best_interests(member, *, on=None) -> bool:
    """A child travelling without a parent on `on` (today if not given), judged within their household."""
    from django.utils import timezone

    members = list(member.case.members.order_by("id"))
    return member.pk in without_parent_on(members, on or timezone.localdate())


# -- Safeguards: checked before every step towards a return (cases.transitions.SAFEGUARDS) --------------------------

@guard("protection_flag_clear")
def protection_flag_clear(context: MoveContext) -> list[Unmet]:
    return [unmet("protection_flag_open", m) for m in members_with_screening(context)
            if getattr(m, "protection", None) is not None and m.protection.flag_open]


@guard("declarations_signed")
def declarations_signed(context: MoveContext) -> list[Unmet]:
    """Each adult, on the day of travel, signed a declaration of voluntary return and did not withdraw it."""
    return [unmet("declaration_missing", m) for m in members_with_screening(context)
            if is_adult(m, on=context.travel_day) and not any(d.withdrawn_on is None for d in m.declarations.all())]


@guard("children_decided")
def children_decided(context: MoveContext) -> list[Unmet]:
    """Each child travelling without a parent on the day of travel: a decision for return, the guardian's consent."""
    members = members_with_screening(context)
    alone = without_parent_on(members, context.travel_day)
    return [u for m in members if m.pk in alone for u in best_interests_unmet(m)]


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


@guard("fit_to_travel")
def fit_to_travel(context: MoveContext) -> list[Unmet]:
    """Where a medical flag is set: an assessment, and not "unfit" (the escort it may need is a booking matter)."""
    found = []
    for member in members_with_screening(context):
        if not member.needs_medical_attention:
            continue
        fitness = getattr(member, "fitness", None)
        if fitness is None:
            found.append(unmet("fitness_missing", member))
        elif fitness.outcome == FitnessOutcome.UNFIT:
            found.append(unmet("unfit_to_travel", member))
    return found


# -- Submission and approval ------------------------------------------------------------------------------------------

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


@guard("submission_ready")
def submission_ready(context: MoveContext) -> list[Unmet]:
    """Counselled, wishing to return, every topic covered; everyone screened for protection needs."""
    return counselling_unmet(context.case) + [
        unmet("protection_screening_missing", m) for m in members_with_screening(context)
        if getattr(m, "protection", None) is None]


@guard("four_eyes", hides=True)
def four_eyes(context: MoveContext) -> list[Unmet]:
    """Whatever the approver's roles, never the person who registered or submitted the case."""
    case = context.case
    return [unmet("same_person_cannot_approve")] if context.actor.pk in (case.created_by_id,
                                                                         case.submitted_by_id) else []


def submission_unmet(case, actor=None) -> list[Unmet]:
    """Everything that keeps the case from being submitted for approval, in the order the checklist shows it."""
    from cases.choices import CaseStatus
    from cases.transitions import ALLOWED, unmet_conditions

    context = MoveContext(case=case, actor=actor, to=CaseStatus.PENDING_APPROVAL)
    return unmet_conditions(context, ALLOWED[CaseStatus.SCREENING][CaseStatus.PENDING_APPROVAL])


# -- Referral out on a protection need ------------------------------------------------------------------------------

@guard("protection_flag_open", hides=True)
def protection_flag_open(context: MoveContext) -> list[Unmet]:
    return [] if protection_flag_clear(context) else [unmet("no_protection_flag")]


@guard("referral_recipient_chosen", choice=True)
def referral_recipient_chosen(context: MoveContext) -> list[Unmet]:
    if context.choices.get("referred_to") not in ProtectionReferralTo.values:
        return [unmet("referral_recipient_missing")]
    return []


@effect("protection_referral_record")
def protection_referral_record(context: MoveContext) -> None:
    from screening.models import ProtectionReferral

    ProtectionReferral.objects.create(case=context.case, referred_to=context.choices["referred_to"],
                                      referred_by=context.actor)


@effect("return_to_screening")
def return_to_screening(context: MoveContext) -> None:
    """The supervisor's "no" sends the case back to the caseworker; the rejection stays in the timeline."""
    from django.utils.translation import gettext

    from cases.choices import CaseStatus
    from cases.services import case_status_move

    case_status_move(context.case, to=CaseStatus.SCREENING, actor=context.actor,
                     note=gettext("Returned to screening."))
