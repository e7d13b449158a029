"""Small predicates about people, written once: who is a child on a given day, in Python and in SQL.

A person's status as a child is decided on the day that matters (the day of travel for a return, the day of
departure on a manifest, today on a page), never on the day they were registered.
"""

from datetime import date

from django.db.models import DateField, Func, Q
from django.utils import timezone

ADULT_AGE = 18


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def adult_born_by(day: date) -> date:
    """The latest birth date of someone who is an adult on `day` (born on 29 February: adult on 28 February)."""
    try:
        return day.replace(year=day.year - ADULT_AGE)
    except ValueError:
        return day.replace(year=day.year - ADULT_AGE, day=28)


def is_child(member, *, on: date | None = None) -> bool:
    """Under 18 on `on` (today if not given).

    With no birth date a person is neither child nor adult: the safeguards refuse every step towards a return until
    the date (or an estimate) is recorded (cases.safeguards), so nobody travels on a guess either way.
    """
    born = member.date_of_birth
    return born is not None and born > adult_born_by(on or timezone.localdate())


def is_adult(member, *, on: date | None = None) -> bool:
    born = member.date_of_birth
    return born is not None and born <= adult_born_by(on or timezone.localdate())


def child_on_q(day: date, prefix: str = "") -> Q:
    """`is_child` as a filter on members (`prefix` e.g. "member__" from a booking)."""
    return Q(**{f"{prefix}date_of_birth__gt": adult_born_by(day)})


class AdultBornBy(Func):
    """`adult_born_by` in SQL, of a date expression (PostgreSQL takes 29 February back to the 28th, as above)."""

    template = f"((%(expressions)s) - interval '{ADULT_AGE} years')::date"
    output_field = DateField()
