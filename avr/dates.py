"""Days in the site's time zone, as the bounds of timestamp queries."""

from datetime import date, datetime, time

from django.utils import timezone


def local_midnight(day: date) -> datetime:
    """The start of `day` in the site's time zone (so a day means the day the users live, not UTC's)."""
    return timezone.make_aware(datetime.combine(day, time.min))
