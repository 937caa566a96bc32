"""Checks shared by the experiment analyses (private): frames, arms, numeric columns, seeds, left-out rows."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from pandas.api import types as pdt

from retailkit._logs import RowsLeftOutWarning, require_columns
from retailkit.errors import InputError, first_rows

__all__ = ["check_frame", "check_alpha", "rng_from", "numeric", "plain", "split_arms", "ArmData", "arm_data",
           "warn_left_out"]


def check_frame(data, func: str, columns: dict, table: str = "data") -> None:
    """``data`` must be a non-empty DataFrame with every column in ``columns`` (parameter -> name)."""
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"{func}: expected a pandas DataFrame as {table}, got {type(data).__name__}.")
    require_columns(data, {k: v for k, v in columns.items() if v is not None}, func, table)
    if data.empty:
        raise InputError(f"{func}: {table} has no rows; there is nothing to analyse.")


def check_alpha(alpha, func: str) -> float:
    if not isinstance(alpha, int | float | np.floating) or not 0 < float(alpha) < 1:
        raise InputError(f"{func}: alpha must be a number in (0, 1), e.g. 0.05 for 95% intervals; got {alpha!r}.")
    return float(alpha)


def rng_from(seed, func: str) -> np.random.Generator:
    """A Generator from ``seed`` (None, a non-negative int or a Generator); global state is never touched."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0):
        raise InputError(f"{func}: seed must be None, a non-negative integer or a numpy Generator; got {seed!r}.")
    return np.random.default_rng(None if seed is None else int(seed))


def numeric(data: pd.DataFrame, col, func: str, what: str = "outcome") -> tuple[np.ndarray, np.ndarray]:
    """Column ``col`` as floats (booleans become 0/1) and its missing-value mask; infinities are an error."""
    s = data[col]
    if not (pdt.is_numeric_dtype(s.dtype) or pdt.is_bool_dtype(s.dtype)):
        raise InputError(
            f"{func}: {what} column {col!r} must be numeric (or boolean), got dtype {s.dtype}. "
            f"Convert it first, e.g. pd.to_numeric(data[{col!r}])."
        )
    values = s.to_numpy(dtype="float64", na_value=np.nan)
    bad = np.isinf(values)
    if bad.any():
        raise InputError(f"{func}: {what} column {col!r} has {bad.sum():,} infinite values (rows "
                         f"{first_rows(data.index[bad])}). Fix or drop them first.")
    return values, np.isnan(values)


def split_arms(data: pd.DataFrame, arm, treatment, control, func: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Boolean masks (treatment, control, arm missing); any other label is an :class:`InputError` naming it."""
    if _same(treatment, control):
        raise InputError(f"{func}: treatment and control are both {treatment!r}; pass two different arm labels.")
    s = data[arm]
    missing = s.isna().to_numpy(dtype=bool)
    is_t = (s == treatment).to_numpy(dtype=bool, na_value=False)
    is_c = (s == control).to_numpy(dtype=bool, na_value=False)
    other = ~(is_t | is_c | missing)
    if other.any():
        counts = s[other].value_counts()
        pairs = zip(plain(counts.index, 8), counts.head(8), strict=True)
        listed = ", ".join(f"{label!r} ({n:,} rows)" for label, n in pairs)
        present = plain(pd.unique(s[~missing]))
        raise InputError(
            f"{func}: column {arm!r} has unknown arm label(s) {listed}; expected only treatment={treatment!r} and "
            f"control={control!r} (labels present: {present}). Pass the right labels as treatment=... and "
            f"control=..., or keep two arms first, e.g. data[data[{arm!r}].isin([...])]."
        )
    for label, mask, name in ((treatment, is_t, "treatment"), (control, is_c, "control")):
        if not mask.any():
            present = plain(pd.unique(s[~missing]))
            raise InputError(
                f"{func}: no variation in treatment - column {arm!r} has no rows with {name}={label!r} "
                f"(labels present: {present}). A comparison needs both arms; check the labels or the filter."
            )
    return is_t, is_c, missing


def plain(values, n: int = 10) -> list:
    """The first ``n`` values as plain Python objects (so messages show 1, not np.int64(1))."""
    return [v.item() if isinstance(v, np.generic) else v for v in list(values)[:n]]


def _same(a, b) -> bool:
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # pragma: no cover - exotic labels
        return False


class ArmData:
    """Values of the analysed rows split by arm, with the counts of rows left out by reason."""

    def __init__(self, keep, is_t, columns: dict, left_out: dict):
        self.keep = keep
        self.is_t = is_t[keep]
        self.left_out = left_out
        self.columns = {name: values[keep] for name, values in columns.items()}

    def arm(self, name: str, treated: bool) -> np.ndarray:
        values = self.columns[name]
        return values[self.is_t] if treated else values[~self.is_t]


def arm_data(data, func: str, *, arm, treatment, control, numeric_cols: dict, min_per_arm: int = 2) -> ArmData:
    """Validate ``data`` for a two-arm comparison and leave out (and count) rows with missing values.

    ``numeric_cols`` maps a role (``"outcome"``, ``"covariate"``) to a column name.  Rows are left out
    for the first reason that applies, in order: arm missing, then each role's value missing.
    """
    check_frame(data, func, {"arm": arm, **numeric_cols})
    is_t, is_c, missing_arm = split_arms(data, arm, treatment, control, func)
    keep = ~missing_arm
    left_out = {"arm missing": int(missing_arm.sum())}
    columns = {}
    for role, col in numeric_cols.items():
        values, missing = numeric(data, col, func, role)
        left_out[f"{role} missing"] = int((missing & keep).sum())
        keep &= ~missing
        columns[role] = values
    out = ArmData(keep, is_t, columns, left_out)
    for label, n, name in ((treatment, int(out.is_t.sum()), "treatment"), (control, int((~out.is_t).sum()), "control")):
        if n < min_per_arm:
            raise InputError(
                f"{func}: the {name} arm ({label!r}) has {n} usable row(s) after leaving out rows with missing "
                f"values ({ {k: v for k, v in left_out.items() if v} }); at least {min_per_arm} are needed."
            )
    return out


def warn_left_out(func: str, left_out: dict, stacklevel: int = 3) -> None:
    """Warn with :class:`RowsLeftOutWarning` when any count is not zero."""
    parts = [f"{n:,} row{'s' * (n != 1)} ({why})" for why, n in left_out.items() if n]
    if parts:
        warnings.warn(f"{func}: left out " + ", ".join(parts) + "; the counts are in result.attrs['rows_left_out'].",
                      RowsLeftOutWarning, stacklevel=stacklevel)
