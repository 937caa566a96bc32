"""Plain-text result tables laid out like statsmodels' ``summary()``, shared by every results object."""

from __future__ import annotations

import html

import numpy as np

__all__ = ["Summary", "fmt"]


class Summary:
    """A statsmodels-style text summary; ``print(res.summary())`` shows the table."""

    def __init__(self, text: str):
        self._text = text

    def as_text(self) -> str:
        """The summary as plain text."""
        return self._text

    def __str__(self) -> str:
        return self._text

    def __repr__(self) -> str:
        return self._text

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(self._text)}</pre>"


def fmt(value, width: int = 11, *, thousands: bool = False) -> str:
    """Right-aligned number for a text table (4 decimals, scientific for very large or small;
    ``thousands`` puts separators in whole numbers)."""
    if isinstance(value, bool | np.bool_):
        return f"{str(bool(value)):>{width}}"
    if isinstance(value, int | np.integer):
        return f"{int(value):>{width},d}" if thousands else f"{int(value):>{width}d}"
    if isinstance(value, float | np.floating):
        v = float(value)
        if not np.isfinite(v):
            return f"{'nan' if np.isnan(v) else v:>{width}}"
        if v != 0 and (abs(v) >= 1e6 or abs(v) < 1e-3):
            return f"{v:>{width}.3e}"
        return f"{v:>{width}.4f}"
    return f"{value!s:>{width}}"
