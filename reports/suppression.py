"""Small counts hidden in donor exports so that no cell singles out a person, not even by subtraction.

A one-dimension table with a total: the small cells, and one more when a single one is hidden. A cross-tab is a
grid with its row totals, column totals and grand total, all of them cells of one (R+1)×(C+1) table whose every row
and column adds up (the total taken negatively): small cells and small totals are hidden, then more cells, the
smallest, until no hidden cell can be worked out from the shown ones, across both margins and across the tables
that publish the same margin (sex is a margin of two cross-tabs and a table of its own). Hidden cells are edges of
a bipartite graph between the grid's rows and columns; a hidden cell is determined by the sums exactly when its edge
is a bridge (in no cycle), so each bridge is closed into a cycle by the cheapest path of shown cells. The result is
checked with exact linear algebra over every published table at once (reports.disclosure).
"""

import heapq
from dataclasses import dataclass

from reports.aggregates import CrossTab, Table
from reports.disclosure import recoverable

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
    if isinstance(table, CrossTab):
        return cross_percentages(table)
    if table.name == "pipeline" or getattr(table, "share_of_first", False):
        first = table.rows[0] if table.rows else None
        base = 0 if first is None or first.get("suppressed") else first["count"]
    else:
        base = 0 if not table.has_total or getattr(table, "total_suppressed", False) else getattr(table, "total", 0)
    for row in table.rows:
        row["percent"] = None if row.get("suppressed") or not base else round(100 * row["count"] / base)
    return table


def cross_percentages(table: CrossTab) -> CrossTab:
    """A cross-tab's row and column totals as shares of its total (the cells have none: read them across)."""
    base = 0 if table.total_suppressed else table.total
    for cell in table.rows:
        cell["percent"] = None
    for row in [*table.row_totals, *table.column_totals]:
        row["percent"] = None if row["suppressed"] or not base else round(100 * row["count"] / base)
    return table


def shown_count(row: dict, threshold: int):
    return SUPPRESSED.format(threshold=threshold) if row.get("suppressed") else row["count"]


def shown_people(row: dict, threshold: int):
    """How many people were assisted: hidden with the row, or when they are few even if the items are many."""
    people = row["people"]
    return SUPPRESSED.format(threshold=threshold) if row.get("suppressed") or 0 < people < threshold else people


# Cross-tabs and the tables that are their margins


@dataclass
class Grid:
    """A cross-tab with its totals: cell (i, j) for i < R, j < C; row totals in column C, column totals in row R."""

    table: CrossTab
    counts: list[list[int]]
    hidden: list[list[bool]]

    @classmethod
    def of(cls, table: CrossTab, threshold: int) -> "Grid":
        rows, columns = table.dimensions
        index = {(cell[rows], cell[columns]): cell["count"] for cell in table.rows}
        counts = [[index.get((r, c), 0) for c in table.column_values] for r in table.row_values]
        counts = [[*row, sum(row)] for row in counts]
        counts.append([sum(row[j] for row in counts) for j in range(len(table.column_values) + 1)])
        return cls(table, counts, [[0 < n < threshold for n in row] for row in counts])

    @property
    def size(self) -> tuple[int, int]:
        return len(self.counts) - 1, len(self.counts[0]) - 1

    def key(self, i: int, j: int) -> tuple:
        """The number's name across tables: a margin is the same number wherever it is published."""
        rows, columns = self.size
        if (i, j) == (rows, columns):
            return ("total",)
        if j == columns:
            return ("margin", self.table.dimensions[0], self.table.row_values[i])
        if i == rows:
            return ("margin", self.table.dimensions[1], self.table.column_values[j])
        return ("cell", self.table.name, i, j)

    def positions(self):
        rows, columns = self.size
        return [(i, j) for i in range(rows + 1) for j in range(columns + 1)]

    def equations(self) -> list[dict]:
        """Each row and column of the grid sums to its total (the total last, taken negatively)."""
        rows, columns = self.size
        equations = []
        for i in range(rows + 1):
            equations.append({**{self.key(i, j): 1 for j in range(columns)}, self.key(i, columns): -1})
        for j in range(columns + 1):
            equations.append({**{self.key(i, j): 1 for i in range(rows)}, self.key(rows, j): -1})
        return equations


def suppress_tables(tables: list[Table], threshold: int) -> list[Table]:
    """Suppress every table of the report: the cross-tabs jointly, their margin tables as those margins, the rest
    one by one."""
    grids = {table.name: Grid.of(table, threshold) for table in tables if isinstance(table, CrossTab)}
    if threshold:
        grids_suppress(list(grids.values()), threshold)
    for grid in grids.values():
        grid_publish(grid, threshold)
    for table in tables:
        if table.margin_of is not None and table.margin_of[0] in grids:
            margin_publish(table, grids[table.margin_of[0]])
        elif not isinstance(table, CrossTab):
            suppress(table, threshold)
    return tables


def grids_suppress(grids: list[Grid], threshold: int) -> None:
    """Hide cells until no hidden number is determined by the shown ones, in any grid or across them."""
    while True:
        changed = True
        while changed:
            changed = margins_agree(grids)
            for grid in grids:
                changed |= bridges_close(grid, threshold)
        determined = recoverable([eq for grid in grids for eq in grid.equations()], hidden_keys(grids))
        if not determined or not widen(grids, determined):
            return


def hidden_keys(grids: list[Grid]) -> set:
    return {grid.key(i, j) for grid in grids for i, j in grid.positions() if grid.hidden[i][j]}


def margins_agree(grids: list[Grid]) -> bool:
    """A number hidden in one table is hidden in every table that publishes it."""
    hidden, changed = hidden_keys(grids), False
    for grid in grids:
        for i, j in grid.positions():
            if not grid.hidden[i][j] and grid.key(i, j) in hidden:
                grid.hidden[i][j] = changed = True
    return changed


def bridges_close(grid: Grid, threshold: int) -> bool:
    """Close every bridge of the hidden cells' graph into a cycle through the cheapest shown cells."""
    changed = False
    while (bridge := first_bridge(grid)) is not None:
        path = cheapest_path(grid, bridge, threshold)
        if not path:
            break
        for i, j in path:
            grid.hidden[i][j] = True
        changed = True
    return changed


def hidden_edges(grid: Grid) -> list[tuple[int, int]]:
    return [(i, j) for i, j in grid.positions() if grid.hidden[i][j]]


def first_bridge(grid: Grid) -> tuple[int, int] | None:
    """A hidden cell in no cycle of hidden cells (rows and columns the nodes, hidden cells the edges), or None."""
    edges = hidden_edges(grid)
    for edge in edges:
        rest = [e for e in edges if e != edge]
        if not connected(rest, ("r", edge[0]), ("c", edge[1])):
            return edge
    return None


def connected(edges: list[tuple[int, int]], start, goal) -> bool:
    neighbours: dict = {}
    for i, j in edges:
        neighbours.setdefault(("r", i), []).append(("c", j))
        neighbours.setdefault(("c", j), []).append(("r", i))
    seen, todo = {start}, [start]
    while todo:
        node = todo.pop()
        if node == goal:
            return True
        for nxt in neighbours.get(node, []):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return False


def cheapest_path(grid: Grid, bridge: tuple[int, int], threshold: int) -> list[tuple[int, int]]:
    """The shown cells to hide so that the bridge's row and column meet again: hidden cells cost nothing, a shown
    one its count (a zero the threshold: a hidden zero protects little); the grand total is never chosen, since the
    pipeline publishes it."""
    rows, columns = grid.size
    start, goal = ("r", bridge[0]), ("c", bridge[1])
    best, back, queue = {start: 0}, {}, [(0, start)]
    while queue:
        cost, node = heapq.heappop(queue)
        if node == goal:
            break
        if cost > best.get(node, cost):
            continue
        side, index = node
        for other in range(columns + 1 if side == "r" else rows + 1):
            i, j = (index, other) if side == "r" else (other, index)
            if (i, j) == bridge or ((i, j) == (rows, columns) and not grid.hidden[i][j]):
                continue
            step = 0 if grid.hidden[i][j] else grid.counts[i][j] or threshold
            nxt = ("c", j) if side == "r" else ("r", i)
            if cost + step < best.get(nxt, cost + step + 1):
                best[nxt], back[nxt] = cost + step, (node, (i, j))
                heapq.heappush(queue, (cost + step, nxt))
    if goal not in back:
        return []
    path, node = [], goal
    while node != start:
        node, cell = back[node]
        path.append(cell)
    return [cell for cell in path if not grid.hidden[cell[0]][cell[1]]]


def widen(grids: list[Grid], determined: set) -> bool:
    """For a number the tables together still determine, hide the smallest shown cell of its row and column."""
    changed = False
    for grid in grids:
        rows, columns = grid.size
        for i, j in grid.positions():
            if grid.key(i, j) not in determined:
                continue
            line = [(i, k) for k in range(columns + 1)] + [(k, j) for k in range(rows + 1)]
            shown = [(grid.counts[a][b], (a, b)) for a, b in line
                     if not grid.hidden[a][b] and (a, b) != (rows, columns)]
            if shown:
                a, b = min(shown)[1]
                grid.hidden[a][b] = changed = True
    return changed


def grid_publish(grid: Grid, threshold: int) -> None:
    """Write the suppression onto the cross-tab: each cell's flag, its margins and its total."""
    table, (rows, columns) = grid.table, grid.size
    row_dim, column_dim = table.dimensions
    for cell in table.rows:
        i, j = table.row_values.index(cell[row_dim]), table.column_values.index(cell[column_dim])
        cell["suppressed"] = grid.hidden[i][j]
    table.row_totals = [{row_dim: value, "count": grid.counts[i][columns], "suppressed": grid.hidden[i][columns]}
                        for i, value in enumerate(table.row_values)]
    table.column_totals = [{column_dim: value, "count": grid.counts[rows][j], "suppressed": grid.hidden[rows][j]}
                           for j, value in enumerate(table.column_values)]
    table.total = grid.counts[rows][columns]
    table.total_suppressed = grid.hidden[rows][columns]


def margin_publish(table: Table, grid: Grid) -> None:
    """A margin table shows what the cross-tab's margin shows, hidden where it is hidden."""
    cross = grid.table
    margin = cross.row_totals if table.margin_of[1] == "rows" else cross.column_totals
    dimension = table.dimensions[0]
    hidden = {row[dimension]: row["suppressed"] for row in margin}
    for row in table.rows:
        row["suppressed"] = hidden[row[dimension]]
    table.total, table.total_suppressed = cross.total, cross.total_suppressed
