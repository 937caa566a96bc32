"""Helpers shared by the churn modules: customer histories, first rows, binary outcomes and scores."""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.api import types as pdt

from retailkit._logs import unique_pairs
from retailkit.errors import InputError


def _as_list(by) -> list:
    if by is None:
        return []
    return list(by) if isinstance(by, list | tuple) else [by]


def _by_columns(by: list) -> dict:
    return {f"by[{i}]" if len(by) > 1 else "by": c for i, c in enumerate(by)}


def _history(log, upto: int | None = None):
    """First and last purchase day, purchase days and the first row of each customer (kept rows)."""
    codes, days = log.codes, log.days
    if upto is not None:
        sel = days <= upto
        codes, days = codes[sel], days[sel]
    pair_codes, pair_days = unique_pairs(codes, days)
    n_days = np.bincount(pair_codes, minlength=log.n)
    end = np.cumsum(n_days)
    has = n_days > 0
    first = np.zeros(log.n, dtype=np.int64)
    last = np.zeros(log.n, dtype=np.int64)
    first[has] = pair_days[(end - n_days)[has]]
    last[has] = pair_days[end[has] - 1]
    return first, last, n_days


def _first_rows(log) -> np.ndarray:
    """Position in the input frame of each customer's first purchase row."""
    order = np.lexsort((log.days, log.codes))
    first = order[np.searchsorted(log.codes[order], np.arange(log.n))]
    return first if log.keep is None else np.flatnonzero(log.keep)[first]


def _dates(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]").astype("datetime64[us]")


def _binary(y, name: str, func: str) -> np.ndarray:
    arr = pd.Series(y) if not isinstance(y, pd.Series) else y
    if pdt.is_bool_dtype(arr.dtype) and not arr.isna().any():
        return arr.to_numpy(dtype=float)
    if not pdt.is_numeric_dtype(arr.dtype):
        raise InputError(f"{func}: {name} must be 0/1 or boolean, got dtype {arr.dtype}.")
    v = arr.to_numpy(dtype="float64", na_value=np.nan)
    bad = ~((v == 0) | (v == 1))
    if bad.any():
        rows = ", ".join(f"{arr.index[i]!r}: {float(v[i])!r}" for i in np.flatnonzero(bad)[:5])
        raise InputError(f"{func}: {name} must be 0/1 (or boolean); {bad.sum():,} value(s) are not ({{{rows}}}).")
    return v


def _scores(y, p, func: str) -> tuple[np.ndarray, np.ndarray]:
    yv = _binary(y, "y", func)
    ps = pd.Series(p) if not isinstance(p, pd.Series) else p
    if pdt.is_bool_dtype(ps.dtype) or not pdt.is_numeric_dtype(ps.dtype):
        raise InputError(f"{func}: p must be numeric scores, got dtype {ps.dtype}.")
    pv = ps.to_numpy(dtype="float64", na_value=np.nan)
    if len(pv) != len(yv):
        raise InputError(f"{func}: y and p must have the same length, got {len(yv):,} and {len(pv):,}.")
    bad = ~np.isfinite(pv)
    if bad.any():
        rows = ", ".join(f"{ps.index[i]!r}" for i in np.flatnonzero(bad)[:5])
        raise InputError(f"{func}: p has {bad.sum():,} missing or infinite values (rows {rows}).")
    if isinstance(y, pd.Series) and isinstance(p, pd.Series) and not y.index.equals(p.index):
        raise InputError(f"{func}: y and p are Series with different indexes; align them first (y.align(p)).")
    return yv, pv


def _check_days(value, name: str, func: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise InputError(f"{func}: {name} must be a whole number of days >= 1, got {value!r}.")
