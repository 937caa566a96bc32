"""Checking summary frames and compressing them to distinct patterns (shared by all models)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from retailkit.errors import InputError, first_rows

__all__ = ["Patterns", "as_weights", "btyd_columns", "check_columns", "column", "compress", "require", "wsum"]


def check_columns(data, columns, *, what: str = "summary frame") -> None:
    """Raise :class:`InputError` unless ``data`` is a DataFrame holding every name in ``columns``."""
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"{what} must be a pandas DataFrame, got {type(data).__name__}.")
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise InputError(
            f"{what} has no column {', '.join(repr(c) for c in missing)} "
            f"(columns present: {', '.join(map(repr, data.columns[:12]))}). "
            "Pass the right name via the *_col arguments, e.g. frequency_col='x'."
        )


def column(data: pd.DataFrame, name: str, *, integer: bool = False) -> np.ndarray:
    """Return ``data[name]`` as a float array after rejecting NaN, infinities and non-numbers.

    With ``integer=True`` the values must also be whole numbers.
    """
    series = data[name]
    try:
        values = series.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise InputError(f"column {name!r} must be numeric ({series.dtype} found).") from exc
    require(np.isfinite(values), data, name, "is NaN or infinite", "drop or fill those rows first")
    if integer:
        require(values == np.round(values), data, name, "is not a whole number", "counts must be integers")
    return values


def require(ok, data: pd.DataFrame, name: str, problem: str, advice: str) -> None:
    """Raise :class:`InputError` naming ``name`` and the first rows where ``ok`` is False."""
    ok = np.asarray(ok, dtype=bool)
    if not ok.all():
        bad = data.index[~ok]
        raise InputError(
            f"column {name!r} {problem} in {len(bad)} row(s), first: {first_rows(bad)}; {advice}."
        )


def as_weights(weights, data: pd.DataFrame) -> np.ndarray:
    """Frequency weights as a float array: None (all 1), a column name, or values aligned with ``data``."""
    n = len(data)
    if weights is None:
        return np.ones(n)
    if isinstance(weights, str):
        check_columns(data, [weights])
        values = column(data, weights)
        name = weights
    else:
        if isinstance(weights, pd.Series) and not weights.index.equals(data.index):
            raise InputError("weights is a Series whose index differs from the data's index; align it first.")
        values = np.asarray(weights, dtype=float).ravel()
        if values.shape != (n,):
            raise InputError(f"weights has {values.size} values but the data has {n} rows.")
        name = "weights"
        frame = pd.DataFrame({name: values}, index=data.index)
        require(np.isfinite(values), frame, name, "is NaN or infinite", "weights must be finite")
    require(values >= 0, pd.DataFrame({name: values}, index=data.index), name, "is negative",
            "weights count customers and must be >= 0")
    if values.sum() <= 0:
        raise InputError(f"{name} sums to zero: there is nothing to fit.")
    return values


@dataclass(frozen=True)
class Patterns:
    """Distinct rows of a set of columns with their summed weights.

    ``values[j]`` is the j-th distinct value of column j, ``weight`` the summed frequency weight of each
    pattern and ``inverse`` maps every input row to its pattern.
    """

    values: tuple
    weight: np.ndarray
    inverse: np.ndarray

    @property
    def n(self) -> int:
        """Number of distinct patterns."""
        return self.weight.size


def compress(columns, weights=None) -> Patterns:
    """Group identical rows of ``columns`` (1-D arrays of equal length) and sum their weights.

    Each column is hashed to dense codes (exact float equality, nothing is rounded) and the codes
    are combined into one integer key.  When the key's range is small -- the usual case: few
    distinct frequencies and observation lengths -- the distinct keys are found by direct
    addressing (a bincount), otherwise by hashing the key.  About 0.05 s per million rows.
    Patterns with zero total weight are kept (they contribute nothing to the likelihood).

    The patterns come in sorted order (by the first column, then the next, ...), whatever the
    order of the rows: a fit on the patterns then does the same arithmetic, and gives the same
    estimates to the last bit however the customers are ordered -- without weights or with
    whole-number ones.  Fractional weights are summed in row order, so reordering the rows can
    move their sums, and the estimates, in the last bits.
    """
    columns = [np.asarray(c) for c in columns]
    n = columns[0].size
    key = np.zeros(n, dtype=np.int64)
    span = 1
    for col in columns:
        codes, uniques = pd.factorize(col, sort=True)
        size = max(len(uniques), 1)
        if span > np.iinfo(np.int64).max // size:
            key, uniq = pd.factorize(key, sort=True)  # re-densify before the product could overflow
            key, span = key.astype(np.int64), len(uniq)
        key = key * size + codes
        span *= size
    if span <= 4 * n + 1024:
        present = np.bincount(key, minlength=span) > 0
        slot = np.cumsum(present) - 1
        inverse = slot[key]
        n_unique = int(present.sum())
    else:
        inverse, uniq = pd.factorize(key, sort=True)
        n_unique = len(uniq)
    first = np.empty(n_unique, dtype=np.int64)
    first[inverse[::-1]] = np.arange(n - 1, -1, -1)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    weight = np.bincount(inverse, weights=w, minlength=n_unique)
    return Patterns(values=tuple(c[first] for c in columns), weight=weight, inverse=inverse)


def btyd_columns(data, frequency_col: str, recency_col: str, T_col: str):
    """Validate a BTYD summary frame and return ``(frequency, recency, T)`` as float arrays.

    Conventions (Fader, Hardie and Lee 2005): frequency counts repeat purchases (a whole number
    >= 0), recency is the time of the last repeat purchase since the first purchase (0 for customers
    without repeat purchase) and T the time from the first purchase to the end of observation.
    """
    check_columns(data, [frequency_col, recency_col, T_col])
    x = column(data, frequency_col, integer=True)
    tx = column(data, recency_col)
    T = column(data, T_col)
    require(x >= 0, data, frequency_col, "is negative", "frequency counts repeat purchases")
    require(T >= 0, data, T_col, "is negative", "T is the time since the first purchase")
    require(tx >= 0, data, recency_col, "is negative", "recency is the time since the first purchase")
    require(tx <= T, data, recency_col, f"is greater than {T_col!r}",
            "the last purchase cannot come after the end of observation; check the time unit")
    require((x > 0) | (tx == 0), data, recency_col, f"is not 0 where {frequency_col!r} is 0",
            "by convention recency is 0 for customers without repeat purchase")
    require((x == 0) | (tx > 0), data, recency_col, f"is 0 where {frequency_col!r} is positive",
            "a repeat purchase happens after the first one, so recency must be > 0")
    return x, tx, T


def wsum(w, v) -> float:
    """Weighted sum ``sum(w * v)``.

    Written as a product and a sum rather than ``np.dot``: a BLAS dot product on 1-D arrays can be
    100x slower when the BLAS thread pool competes for a small machine's cores.
    """
    return float(np.sum(np.multiply(w, v)))
