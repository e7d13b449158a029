"""The case stage's own safeguards (the others are registered by screening), and the check that none is missing."""

from django.core import checks
from django.utils.translation import gettext_lazy as _

from cases.transitions import MoveContext, Unmet, guard, unregistered_names

MESSAGES = {
    "birth_date_missing": _("The date of birth of %(name)s is not recorded (give an estimate if it is not known)."),
}


@guard("birth_dates_known")
def birth_dates_known(context: MoveContext) -> list[Unmet]:
    """Nobody is taken for an adult or a child on a guess: without a birth date no safeguard can be judged."""
    return [Unmet(code="birth_date_missing", message=MESSAGES["birth_date_missing"] % {"name": m.full_name},
                  member_id=m.pk) for m in context.members if m.date_of_birth is None]


@guard("one_active_return")
def one_active_return(context: MoveContext) -> list[Unmet]:
    """The same person is never in two returns at once (cases.identity, where people are linked)."""
    from cases.identity import same_person_active_unmet

    return same_person_active_unmet(context.case)


@checks.register()
def lifecycle_complete(app_configs=None, **kwargs):
    """Every guard and effect the lifecycle table names is registered by some stage."""
    return [checks.Error(f"The case lifecycle names an unregistered {name}.", id="cases.E001")
            for name in unregistered_names()]
