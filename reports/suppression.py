"""Small counts hidden in donor exports so that no cell singles out a person, not even by subtraction."""

from reports.aggregates import Table

SUPPRESSED = "<{threshold}"


def suppress(table: Table, threshold: int) -> Table:
    """Mark every count below the threshold (but above zero) suppressed; protect totals with a second cell."""
    for row in table.rows:
        row["suppressed"] = 0 < row["count"] < threshold
    total = sum(row["count"] for row in table.rows)
    if table.has_total and total >= threshold:
        complementary_suppress(table.rows)
    table.total = total
    table.total_suppressed = 0 < total < threshold
    return table


def complementary_suppress(rows: list[dict]) -> None:
    """With the total shown, one hidden cell is the total minus the others: hide the smallest other cell too."""
    hidden = [row for row in rows if row["suppressed"]]
    if len(hidden) != 1:
        return
    candidates = sorted((row for row in rows if not row["suppressed"] and row["count"] > 0),
                        key=lambda row: row["count"])
    if candidates:
        candidates[0]["suppressed"] = True


def with_percentages(table: Table) -> Table:
    """Each row's share, in whole percent, only where it cannot give a hidden count away.

    Rows of one population share the table's total; the pipeline's stages are shares of the people registered;
    tables whose rows overlap (vulnerabilities, assistance, exits) get no percentages at all, since a share of a
    sum that includes a hidden cell would reveal it.
    """
    if table.name == "pipeline" or getattr(table, "share_of_first", False):
        first = table.rows[0] if table.rows else None
        base = 0 if first is None or first.get("suppressed") else first["count"]
    else:
        base = 0 if not table.has_total or getattr(table, "total_suppressed", False) else getattr(table, "total", 0)
    for row in table.rows:
        row["percent"] = None if row.get("suppressed") or not base else round(100 * row["count"] / base)
    return table


def shown_count(row: dict, threshold: int):
    return SUPPRESSED.format(threshold=threshold) if row.get("suppressed") else row["count"]


def shown_people(row: dict, threshold: int):
    """How many people were assisted: hidden with the row, or when they are few even if the items are many."""
    people = row["people"]
    return SUPPRESSED.format(threshold=threshold) if row.get("suppressed") or 0 < people < threshold else people
