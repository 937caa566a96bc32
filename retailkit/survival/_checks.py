"""Input checks shared by the survival estimators (private).

Every check raises a :mod:`retailkit.errors` subclass whose message names the function, the column
and the first offending rows with their values, and says what to do.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.api import types as pdt

from retailkit._logs import require_columns
from retailkit.errors import InputError, offending, plain

__all__ = ["check_frame", "durations", "events", "group_codes", "as_list"]


def as_list(by) -> list:
    """``by`` as a list of column names (``None`` gives an empty list)."""
    if by is None:
        return []
    if isinstance(by, str) or not isinstance(by, list | tuple):
        return [by]
    return list(by)


def check_frame(data, func: str, columns: dict, table: str = "data") -> None:
    """A DataFrame with at least one row and every column in ``columns`` (param -> column)."""
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"{func}: expected a pandas DataFrame, got {type(data).__name__}.")
    require_columns(data, columns, func, table=table)
    if data.empty:
        raise InputError(f"{func}: {table} has no rows; there is nothing to estimate.")


def durations(data: pd.DataFrame, col: str, func: str) -> np.ndarray:
    """Finite, non-negative durations as float64."""
    s = data[col]
    if pdt.is_timedelta64_dtype(s.dtype):
        raise InputError(
            f"{func}: column {col!r} holds timedeltas. Convert them to a number of time units first, "
            f"e.g. df[{col!r}].dt.days or df[{col!r}] / pd.Timedelta(days=7)."
        )
    if pdt.is_bool_dtype(s.dtype) or not pdt.is_numeric_dtype(s.dtype):
        raise InputError(
            f"{func}: column {col!r} must hold numbers (durations), got dtype {s.dtype}. "
            f"Convert it with pd.to_numeric(df[{col!r}]) or pass another duration_col."
        )
    t = s.to_numpy(dtype="float64", na_value=np.nan)
    bad = ~np.isfinite(t)
    if bad.any():
        raise InputError(
            f"{func}: column {col!r} has {bad.sum():,} missing or infinite durations "
            f"{offending(data.index, t, bad)}. Drop or fill those rows first."
        )
    neg = t < 0
    if neg.any():
        raise InputError(
            f"{func}: column {col!r} has {neg.sum():,} negative durations (times < 0) "
            f"{offending(data.index, t, neg)}. A duration runs from the start (e.g. the first purchase) "
            "to the event or to censoring; check how it was computed (end before start?)."
        )
    return t


def events(data: pd.DataFrame, col: str, func: str) -> np.ndarray:
    """Event indicators (bool, or numbers that are all 0 or 1) as float64 0/1."""
    s = data[col]
    if pdt.is_bool_dtype(s.dtype):
        missing = s.isna().to_numpy()
        if missing.any():
            raise InputError(
                f"{func}: column {col!r} has {missing.sum():,} missing event indicators "
                f"{offending(data.index, s.to_numpy(), missing)}. Use True for an observed event, False "
                "for a censored duration."
            )
        return s.to_numpy(dtype="float64")
    if not pdt.is_numeric_dtype(s.dtype):
        raise InputError(
            f"{func}: column {col!r} must be boolean or 0/1, got dtype {s.dtype} "
            f"{offending(data.index, s.to_numpy(), np.ones(len(s), dtype=bool), 3)}. Map it first, "
            f"e.g. df[{col!r}] == 'churned'."
        )
    e = s.to_numpy(dtype="float64", na_value=np.nan)
    bad = ~((e == 0) | (e == 1))
    if bad.any():
        raise InputError(
            f"{func}: column {col!r} must be binary (1 = event observed, 0 = censored), but {bad.sum():,} "
            f"rows hold other values {offending(data.index, e, bad)}. Recode it (e.g. df[{col!r}] > 0) or "
            "fill missing values."
        )
    return e


def group_codes(data: pd.DataFrame, by: list, func: str) -> tuple[np.ndarray, pd.DataFrame]:
    """Group number of every row (0..k-1, groups sorted) and a frame of the group labels."""
    if not by:
        return np.zeros(len(data), dtype=np.int64), pd.DataFrame(index=pd.RangeIndex(1))
    for col in by:
        missing = data[col].isna().to_numpy()
        if missing.any():
            raise InputError(
                f"{func}: group column {col!r} has {missing.sum():,} missing labels (rows "
                f"{offending(data.index, data[col].to_numpy(), missing)}). Fill them, e.g. "
                f"df[{col!r}].fillna('unknown'), or drop those rows first."
            )
    grouped = data.groupby(by, sort=True, observed=True)
    codes = grouped.ngroup().to_numpy(dtype=np.int64)
    labels = grouped.size().index.to_frame(index=False)
    return codes, labels


def group_name(labels: pd.DataFrame, i: int) -> str:
    """A readable name of group ``i`` (``channel='organic'`` or ``'organic'``)."""
    row = labels.iloc[i]
    return ", ".join(f"{c}={plain(v)!r}" for c, v in row.items())
