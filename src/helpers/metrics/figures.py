"""Results analysts can hold: named figures that show as a table in JupyterLab."""

from __future__ import annotations

import pandas as pd

from .stats import Rate


class Figures(dict):
    """A dict of named figures that renders as a two-column table and converts to a DataFrame.

    Rates (:class:`~helpers.metrics.stats.Rate`) expand to their value, counts and interval.
    """

    def to_frame(self) -> pd.DataFrame:
        """One row per figure: name, value, numerator, denominator, ci_low, ci_high."""
        rows = []
        for name, value in self.items():
            if isinstance(value, Rate):
                low, high = value.interval
                rows.append(
                    {
                        "figure": name,
                        "value": value.value,
                        "numerator": value.numerator,
                        "denominator": value.denominator,
                        "ci_low": low,
                        "ci_high": high,
                    }
                )
            else:
                rows.append({"figure": name, "value": value})
        return pd.DataFrame(rows)

    def _repr_html_(self) -> str:
        return self.to_frame().to_html(index=False, escape=True, na_rep="")
