"""Which hidden numbers of a set of published tables are still determined by what is shown: exact linear algebra.

Every table is its additivity equations (each row and column of a grid, totals included, sums to zero with the
total negated); a shown number is a constant. A hidden number is recoverable exactly when its unit vector lies in
the row space of the equations restricted to the hidden numbers: then no other value satisfies every equation.
"""

from fractions import Fraction


def recoverable(equations: list[dict], hidden: set) -> set:
    """The hidden keys the equations (each {key: coefficient}, summing to a constant) pin down to one value."""
    order = sorted(hidden, key=repr)
    column = {key: index for index, key in enumerate(order)}
    matrix = []
    for equation in equations:
        row = [Fraction(0)] * len(order)
        for key, coefficient in equation.items():
            if key in column:
                row[column[key]] += coefficient
        if any(row):
            matrix.append(row)
    pivots = reduced_row_echelon(matrix, len(order))
    free = set(range(len(order))) - {pivot for pivot, _row in pivots}
    # A pivot variable whose row involves no free variable has one value only.
    return {order[pivot] for pivot, row in pivots if not any(row[f] for f in free)}


def reduced_row_echelon(matrix: list[list[Fraction]], width: int) -> list[tuple[int, list[Fraction]]]:
    """The pivot columns of the matrix in reduced row echelon form, each with its row."""
    rows, pivots = [list(row) for row in matrix], []
    top = 0
    for col in range(width):
        found = next((r for r in range(top, len(rows)) if rows[r][col] != 0), None)
        if found is None:
            continue
        rows[top], rows[found] = rows[found], rows[top]
        lead = rows[top][col]
        rows[top] = [value / lead for value in rows[top]]
        for r in range(len(rows)):
            if r != top and rows[r][col] != 0:
                factor = rows[r][col]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[top])]
        pivots.append(col)
        top += 1
        if top == len(rows):
            break
    return [(col, rows[index]) for index, col in enumerate(pivots)]
