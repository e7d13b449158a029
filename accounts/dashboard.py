"""The home dashboard: counts per role, never a name. Reads only; each number is one SQL aggregation.

Every count is over what the user may see: cases through `cases_visible_to` (narrowed to the role's own scope, so a
caseworker who is also a supervisor sees each role's numbers once), movements through `movements_visible_to`.
Admins see aggregates over everything, as the donor reports do, and no link into case lists they cannot open.
Who sees what is decided on the primary; the counts are read from `db`, the read replica while it keeps up
(avr.replica), the same querysets with `.using(db)`.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlencode

from django.db import connections
from django.db.models import Count, DateField, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncWeek
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts.charts import Chart, Column, column_chart
from accounts.choices import Country, Role
from avr.replica import on_reporting_db
from avr.dates import local_midnight
from cases.choices import CaseStatus
from cases.models import Case
from cases.permissions import cases_visible_to, role_scope_q, user_assignments
from cases.counts import case_counts
from reception.choices import ReferralStatus
from reception.models import Referral
from reception.services import follow_ups_open
from travel.choices import SEAT_TAKING, BookingStatus, MovementStatus
from travel.models import Booking
from travel.permissions import movements_visible_to

# Always shown, in the order a case moves; the side exits only when some case is there.
MAIN_LINE = [CaseStatus.REGISTERED, CaseStatus.SCREENING, CaseStatus.PENDING_APPROVAL, CaseStatus.APPROVED,
             CaseStatus.BOOKED, CaseStatus.IN_TRANSIT, CaseStatus.ARRIVED, CaseStatus.CLOSED]
MOVEMENT_LINE = [CaseStatus.APPROVED, CaseStatus.BOOKED, CaseStatus.IN_TRANSIT]
OPEN_REFERRALS = [ReferralStatus.SENT, ReferralStatus.ACCEPTED]
RETURN_WEEKS = 12


@dataclass
class Cell:
    count: int
    url: str = ""


@dataclass
class PipelineRow:
    status: str
    label: str
    cells: list[Cell]
    total: Cell


@dataclass
class Pipeline:
    """Counts per status (rows) and per office, country or programme (columns), with totals."""

    heading: str
    columns: list[str]
    rows: list[PipelineRow]
    totals: list[Cell]
    total: Cell
    testid: str = ""
    several_columns: bool = field(init=False)

    def __post_init__(self):
        self.several_columns = len(self.columns) > 1


def case_list_url(**params) -> str:
    """The case list filtered as the counts were (the list reads these with cases.list_params)."""
    params = {k: v for k, v in params.items() if v}
    return reverse("case_list") + ("?" + urlencode(params) if params else "")


def url_or_empty(name: str, query: str = "") -> str:
    try:
        return reverse(name) + query
    except NoReverseMatch:
        return ""


def pipeline(rows: list[dict], *, index: int, heading: str, testid: str, label=str, link=None,
             statuses=MAIN_LINE) -> Pipeline:
    """Roll the grouped rows of `case_counts` up to status x group[index]; `link(status, code)` (either
    may be None, for a total) gives each count's filtered list, or no link when it is None."""
    counts: dict[tuple, int] = {}
    for row in rows:
        key = (row["status"], row["group"][index])
        counts[key] = counts.get(key, 0) + row["total"]
    codes = sorted({code for _status, code in counts}, key=lambda code: str(label(code)))
    present = {status for status, _code in counts}
    shown = [s for s in CaseStatus.values if s in statuses or s in present]

    def cell(n: int, status, code) -> Cell:
        return Cell(n, link(status, code) if link and n else "")

    table_rows = []
    for status in shown:
        cells = [cell(counts.get((status, code), 0), status, code) for code in codes]
        table_rows.append(PipelineRow(status, CaseStatus(status).label, cells,
                                      cell(sum(c.count for c in cells), status, None)))
    totals = [cell(sum(counts.get((s, code), 0) for s in shown), None, code) for code in codes]
    return Pipeline(heading=heading, columns=[label(code) for code in codes], rows=table_rows, totals=totals,
                    total=cell(sum(t.count for t in totals), None, None), testid=testid)


def country_label(code: str) -> str:
    return str(Country(code).label) if code in Country.values else code


def case_queue_counts(cases: QuerySet, rows: list[dict], *, submitted_by=None) -> dict:
    """Incomplete registrations and cases waiting for approval (how many, since when, how many `submitted_by`
    sent). How many wait comes from the scope's count rows; the rest from one partial index each, in one round
    trip, the oldest stopping at the first: reading the rows of every waiting case (70k at 1M cases) cost 220 ms."""
    cases = cases.order_by()
    waiting = cases.filter(status=CaseStatus.PENDING_APPROVAL)
    parts = [waiting.order_by("submitted_at").values("submitted_at")[:1], count_of(cases.filter(is_incomplete=True))]
    if submitted_by is not None:
        parts.append(count_of(waiting.filter(submitted_by_id=submitted_by.pk)))
    oldest, incomplete, *submitted = scalars_of(*parts, db=cases.db)
    found = {"waiting": sum(row["total"] for row in rows if row["status"] == CaseStatus.PENDING_APPROVAL),
             "incomplete": incomplete, "oldest_days": (timezone.now() - oldest).days if oldest else None}
    if submitted:
        found["submitted_by_user"] = submitted[0]
    return found


def count_of(queryset: QuerySet) -> tuple[str, tuple]:
    sql, params = queryset.values("id").query.sql_with_params()
    return f"SELECT count(*) FROM ({sql}) AS counted", params


def scalars_of(*parts, db: str) -> tuple:
    """One value from each query (a queryset of one column and at most one row, or (sql, params)), in one query."""
    compiled = [part if isinstance(part, tuple) else part.query.sql_with_params() for part in parts]
    with connections[db].cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"({sql})" for sql, _ in compiled),
                       [param for _, params in compiled for param in params])
        return cursor.fetchone()


def approvals_waiting(queues: dict) -> dict:
    return {"count": queues["waiting"], "oldest_days": queues["oldest_days"]}


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def returns_per_week(*, cases: QuerySet | None, chart_id: str, weeks: int = RETURN_WEEKS,
                     db: str = "default") -> Chart:
    """People who boarded a movement that left, per week of departure (Monday first), over the last `weeks` weeks;
    `cases` (already visible to the user) limits them, None counts everyone (admins)."""
    this_week = week_start(timezone.localdate())
    first = this_week - timedelta(weeks=weeks - 1)
    # By the time the departure was recorded (the plan only for movements recorded before it was kept).
    left_at = Coalesce("movement__departed_at", "movement__departure_at")
    boarded = Booking.objects.using(db).annotate(left_at=left_at).filter(
        status=BookingStatus.BOARDED, movement__status__in=[MovementStatus.DEPARTED, MovementStatus.ARRIVED],
        left_at__gte=local_midnight(first), left_at__lt=local_midnight(this_week + timedelta(weeks=1)))
    if cases is not None:
        boarded = boarded.filter(case_id__in=cases.values("pk"))
    per_week = dict(boarded.order_by().annotate(week=TruncWeek("left_at", output_field=DateField()))
                    .values("week").annotate(people=Count("id")).values_list("week", "people"))
    columns = [Column(formats.date_format(first + timedelta(weeks=i), "j M"),
                      per_week.get(first + timedelta(weeks=i), 0)) for i in range(weeks)]
    return column_chart(
        chart_id=chart_id, title=_("Returns per week"),
        description=_("People who boarded a movement that left, per week of departure, over the last "
                      "%(weeks)s weeks: %(total)s in all.") % {"weeks": weeks, "total": sum(c.value for c in columns)},
        columns=columns)


def role_scope(user, role: str, visible: QuerySet) -> QuerySet:
    """The visible cases that this role of the user brings into view (its assignments' scopes)."""
    return visible.filter(role_scope_q(user, role))


def caseworker_panel(user, visible: QuerySet, db: str = "default") -> dict:
    codes = {a.office_id: a.office.code for a in user_assignments(user) if a.role == Role.CASEWORKER and a.office_id}
    mine = visible.filter(registering_office_id__in=list(codes))
    # By office id, not code: without the join the count is an index-only scan of case_office_status.
    rows = case_counts(scope=Q(registering_office_id__in=list(codes)), by=("registering_office_id",), using=db)
    queues = case_queue_counts(mine, rows, submitted_by=user)
    single = next(iter(codes.values())) if len(codes) == 1 else None
    return {
        "pipeline": pipeline(rows, index=0, heading=_("Cases of my office by status"), testid="pipeline-office",
                             label=lambda office_id: codes.get(office_id, ""),
                             link=lambda status, office_id: case_list_url(
                                 status=status, office=codes.get(office_id) if office_id else single)),
        "incomplete": queues["incomplete"],
        "incomplete_url": case_list_url(incomplete="1", office=single),
        "submitted_waiting": queues["submitted_by_user"],
    }


def supervisor_panel(user, visible: QuerySet, db: str = "default") -> dict:
    cases = role_scope(user, Role.SUPERVISOR, visible)
    programmes = {a.programme.code for a in user_assignments(user) if a.role == Role.SUPERVISOR and a.programme_id}
    programme = programmes.pop() if len(programmes) == 1 else None
    rows = case_counts(scope=role_scope_q(user, Role.SUPERVISOR),
                       by=("registering_office__code", "destination_country"), using=db)
    return {
        "by_office": pipeline(rows, index=0, heading=_("Cases by status and registering office"),
                              testid="pipeline-office", link=lambda status, office: case_list_url(
                                  status=status, programme=programme, office=office)),
        # No links here: the case list filters by registering office, not by country of return.
        "by_country": pipeline(rows, index=1, heading=_("Cases by status and country of return"),
                               testid="pipeline-country", label=country_label),
        "approvals": approvals_waiting(case_queue_counts(cases, rows)),
        "approvals_url": url_or_empty("approval_queue"),
        "returns": returns_per_week(cases=cases, chart_id="returns-chart-supervisor", db=db),
    }


def movement_panel(user, visible: QuerySet, db: str = "default") -> dict:
    countries = [a.country for a in user_assignments(user) if a.role == Role.MOVEMENT_OFFICER and a.country]
    rows = case_counts(scope=role_scope_q(user, Role.MOVEMENT_OFFICER), by=(), using=db)
    by_status = {r["status"]: r["total"] for r in rows}
    this_week = week_start(timezone.localdate())
    movements = (movements_visible_to(user).using(db).filter(country__in=countries)
                 .exclude(status=MovementStatus.CANCELLED)
                 .filter(departure_at__gte=local_midnight(this_week),
                         departure_at__lt=local_midnight(this_week + timedelta(weeks=2))))
    weeks = {row["week"]: row for row in movements.order_by()
             .annotate(week=TruncWeek("departure_at", output_field=DateField())).values("week")
             .annotate(movements=Count("id"), capacity=Sum("capacity"))}
    seats = dict(Booking.objects.using(db).filter(movement__in=movements, status__in=SEAT_TAKING).order_by()
                 .annotate(week=TruncWeek("movement__departure_at", output_field=DateField()))
                 .values("week").annotate(n=Count("id")).values_list("week", "n"))
    return {
        "statuses": [{"status": s, "label": CaseStatus(s).label, "count": by_status.get(s, 0),
                      "url": case_list_url(status=s) if by_status.get(s) else ""}
                     for s in CaseStatus.values if s in MOVEMENT_LINE or by_status.get(s)],
        "to_book": by_status.get(CaseStatus.APPROVED, 0),
        "to_book_url": case_list_url(status=CaseStatus.APPROVED),
        "weeks": [{"label": label, "movements": weeks.get(start, {}).get("movements", 0),
                   "capacity": weeks.get(start, {}).get("capacity") or 0, "seats_taken": seats.get(start, 0)}
                  for label, start in ((_("This week"), this_week), (_("Next week"), this_week + timedelta(weeks=1)))],
        "movements_url": url_or_empty("movement_list"),
    }


def reception_panel(user, visible: QuerySet, db: str = "default") -> dict:
    centres = [a.office_id for a in user_assignments(user) if a.role == Role.RECEPTION_STAFF and a.office_id]
    today = timezone.localdate()
    this_week = week_start(today)
    arriving = (movements_visible_to(user).using(db).filter(reception_centre_id__in=centres)
                .filter(departure_at__gte=local_midnight(this_week),
                        departure_at__lt=local_midnight(this_week + timedelta(weeks=1)))
                .aggregate(movements=Count("id", distinct=True),
                           passengers=Count("bookings", filter=Q(bookings__status__in=SEAT_TAKING))))
    bound_here = visible.filter(reception_centre_id__in=centres).values("pk")
    return {
        "movements": arriving["movements"], "passengers": arriving["passengers"],
        "arrivals_url": url_or_empty("arrivals"),
        "referrals_overdue": Referral.objects.using(db).filter(
            member__case_id__in=bound_here, status__in=OPEN_REFERRALS, due_on__lt=today,
            consent__withdrawn_on__isnull=True).count(),
        "referrals_url": url_or_empty("referral_list", "?show=overdue"),
        "follow_ups_due": follow_ups_open().using(db).filter(member__case_id__in=bound_here, due_on__lte=today).count(),
        "follow_ups_url": url_or_empty("follow_up_list"),
    }


def admin_panel(db: str = "default") -> dict:
    rows = case_counts(by=("programme__code", "destination_country"), using=db)
    return {
        "by_programme": pipeline(rows, index=0, heading=_("Cases by status and programme"),
                                 testid="pipeline-programme"),
        "by_country": pipeline(rows, index=1, heading=_("Cases by status and country of return"),
                               testid="pipeline-country", label=country_label),
        "approvals": approvals_waiting(case_queue_counts(Case.objects.using(db).all(), rows)),
        "returns": returns_per_week(cases=None, chart_id="returns-chart-admin", db=db),
        "referrals_overdue": Referral.objects.using(db).filter(status__in=OPEN_REFERRALS,
                                                     due_on__lt=timezone.localdate()).count(),
    }


def dashboard_for_user(*, user) -> dict:
    """The counts each of the user's roles sees on the home page, once per role; no names, no personal data."""
    roles = {a.role for a in user_assignments(user)}
    return on_reporting_db(lambda db: dashboard_panels(user, roles, db))


def dashboard_panels(user, roles: set[str], db: str) -> dict:
    case_roles = roles & {Role.CASEWORKER, Role.SUPERVISOR, Role.MOVEMENT_OFFICER, Role.RECEPTION_STAFF}
    visible = cases_visible_to(user).using(db) if case_roles else None
    dashboard = {}
    if Role.CASEWORKER in roles:
        dashboard["caseworker"] = caseworker_panel(user, visible, db)
    if Role.SUPERVISOR in roles:
        dashboard["supervisor"] = supervisor_panel(user, visible, db)
    if Role.MOVEMENT_OFFICER in roles:
        dashboard["movement"] = movement_panel(user, visible, db)
    if Role.RECEPTION_STAFF in roles:
        dashboard["reception"] = reception_panel(user, visible, db)
    if Role.ADMIN in roles:
        dashboard["admin"] = admin_panel(db)
    return dashboard
