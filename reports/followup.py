"""The donor report's follow-up tables: how many follow-ups fell due, how many reached the person (the response
rate is "reached" as a share of "due"), and the mean reintegration scores by sex, age band and country of return.

A follow-up belongs to the period its window opened in (`due_on`); scores are those of the completed ones, each
dimension's mean with its n (the people it averages). A mean whose n is below the suppression threshold is hidden
with its count (reports.suppression), so no answer can be traced to a person.
"""

from reports.aggregates import AGE_BAND_SQL, AGE_BANDS, PROGRAMME, Period, Table, fetch

FOLLOW_UP_STAGES = ("due", "reached", "unreachable", "refused")
SCORE_BREAKDOWNS = ("sex", "age_band", "country_of_return")

FOLLOW_UP_SQL = f"""
    SELECT count(*),
           count(*) FILTER (WHERE f.status = 'completed' OR f.reached),
           count(*) FILTER (WHERE f.status = 'unreachable'),
           count(*) FILTER (WHERE f.status = 'refused')
    FROM reception_followup f JOIN cases_member m ON m.id = f.member_id JOIN cases_case c ON c.id = m.case_id
    WHERE f.due_on >= %(start)s AND f.due_on < %(end_excl)s AND f.status <> 'cancelled' AND {PROGRAMME}
"""

# The age on the day of the call; an anonymised member's age was kept when they returned.
CALL_AGE = "COALESCE(m.age_at_return, date_part('year', age(f.done_on, m.date_of_birth)))"
SCORES_SQL = f"""
    WITH scored AS (
        SELECT s.dimension AS score_dimension, s.score, m.sex, c.destination_country AS country_of_return,
               {AGE_BAND_SQL.format(age=CALL_AGE)} AS age_band
        FROM reception_followupscore s JOIN reception_followup f ON f.id = s.follow_up_id
        JOIN cases_member m ON m.id = f.member_id JOIN cases_case c ON c.id = m.case_id
        WHERE f.due_on >= %(start)s AND f.due_on < %(end_excl)s AND f.status = 'completed' AND {PROGRAMME})
    SELECT score_dimension, {", ".join(SCORE_BREAKDOWNS)}, {", ".join(f"GROUPING({d})" for d in SCORE_BREAKDOWNS)},
           count(*), avg(score)
    FROM scored
    GROUP BY GROUPING SETS ({", ".join(f"(score_dimension, {d})" for d in SCORE_BREAKDOWNS)})
"""


def follow_up_table(period: Period) -> Table:
    due, reached, unreachable, refused = fetch(FOLLOW_UP_SQL, period)[0]
    counts = dict(zip(FOLLOW_UP_STAGES, (due, reached, unreachable, refused)))
    table = Table("follow_ups", ["follow_up"], [{"follow_up": s, "count": counts[s]} for s in FOLLOW_UP_STAGES],
                  has_total=False)
    table.share_of_first = True  # each row a share of the follow-ups due: "reached" is the response rate
    return table


def score_tables(period: Period) -> list[Table]:
    """Mean score per dimension by sex, by age band and by country of return, from one scan with GROUPING SETS."""
    tables = {d: Table(f"follow_up_scores_by_{d}", ["score_dimension", d], has_total=False)
              for d in SCORE_BREAKDOWNS}
    width = len(SCORE_BREAKDOWNS)
    for row in fetch(SCORES_SQL, period):
        dimension_code, values, grouping, n, mean = row[0], row[1:1 + width], row[1 + width:1 + 2 * width], \
            row[-2], row[-1]
        breakdown = next(d for d, g in zip(SCORE_BREAKDOWNS, grouping) if g == 0)
        tables[breakdown].rows.append({"score_dimension": dimension_code,
                                       breakdown: values[SCORE_BREAKDOWNS.index(breakdown)],
                                       "count": n, "score": round(float(mean), 2)})
    bands = [band for band, _low, _high in AGE_BANDS] + ["unknown"]
    for breakdown, table in tables.items():
        order = (lambda v: bands.index(v)) if breakdown == "age_band" else (lambda v: str(v))
        table.rows.sort(key=lambda r: (r["score_dimension"], order(r[breakdown])))
    return list(tables.values())


def follow_up_tables(period: Period) -> list[Table]:
    """The follow-up's tables of the donor report, in the order they are printed."""
    return [follow_up_table(period), *score_tables(period)]
