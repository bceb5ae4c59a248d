"""How the notebooks print numbers in tables: one format for every probability, no exponents.

pandas' default (`display.precision`) switches a column to scientific notation as soon as one value is small,
so one table showed a probability as `1.0`, the next as `9.994e-01` and its neighbour as `2.000e-04`. With

    pd.set_option("display.float_format", paradox.display.table_number)

every probability, effect, interval and R-hat has four decimals (probabilities from 10,000 draws are resolved
to 1e-4), and large counts such as effective sample sizes none.
"""

from __future__ import annotations

import math

#: At and above this size a number is printed without decimals (effective sample sizes, seconds).
WHOLE_FROM = 100.0


def table_number(value: float) -> str:
    """0.9998, 0.0002, -1.4310, 1.0018; 13527 (at or above WHOLE_FROM in size); nan and inf as Python prints them."""
    if not math.isfinite(value):
        return str(value)
    return f"{value:.0f}" if abs(value) >= WHOLE_FROM else f"{value:.4f}"
