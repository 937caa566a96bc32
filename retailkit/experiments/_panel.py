"""Validating a unit x period panel with treatment start dates, and the two-way within transform (private).

Periods may be integers (months numbered 1, 2, ...) or pandas Periods (``2024-03``); they become
consecutive codes 0..P-1 over the span of the data, so "period g - 1" always means the period
before adoption.  The treatment start ``first_treated`` is given per row but must be constant
within a unit; missing means never treated.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.api import types as pdt
from scipy import sparse

from retailkit.errors import IdentificationError, InputError, first_rows
from retailkit.experiments._common import check_frame, numeric

__all__ = ["Panel", "prepare_panel", "demean"]


class Panel:
    """Integer-coded panel arrays (observations aligned) plus per-unit adoption codes."""

    def __init__(self, **values):
        self.__dict__.update(values)

    def period_label(self, codes):
        """Original period labels (ints or pandas Periods) of period codes."""
        ordinals = np.asarray(codes, dtype=np.int64) + self.lo
        if self.freq is None:
            return ordinals
        return pd.PeriodIndex.from_ordinals(ordinals, freq=self.freq)

    @property
    def g_obs(self) -> np.ndarray:
        """Adoption period code of each observation's unit (NaN: never treated)."""
        return self.g[self.ucode]

    @property
    def treated(self) -> np.ndarray:
        """The treatment dummy ``D_it`` of each observation (1.0 once its unit has adopted)."""
        g = self.g_obs
        return (np.isfinite(g) & (self.pcode >= np.nan_to_num(g, nan=np.inf))).astype(float)


def _period_ordinals(s: pd.Series, func: str, what: str, allow_missing: bool, freq=None):
    """Integer ordinals of a period-like column (NaN where missing) and its frequency (None for ints)."""
    col = s.name
    if isinstance(s.dtype, pd.PeriodDtype):
        if freq is False:
            raise InputError(f"{func}: {what} column {col!r} holds pandas Periods but the period column holds "
                             "integers; give both in the same form.")
        if freq is not None and s.dtype.freq != freq:
            raise InputError(f"{func}: {what} column {col!r} has frequency {s.dtype.freq.freqstr} but the period "
                             f"column has {freq.freqstr}; convert one with .dt.asfreq(...).")
        ords = s.array.asi8.astype(float)
        ords[s.isna().to_numpy()] = np.nan
        kind = s.dtype.freq
    elif pdt.is_datetime64_any_dtype(s.dtype):
        raise InputError(f"{func}: {what} column {col!r} holds timestamps; periods must be integers or pandas Periods. "
                         f"Convert it, e.g. data[{col!r}].dt.to_period('M') for calendar months.")
    elif pdt.is_bool_dtype(s.dtype) or not (pdt.is_numeric_dtype(s.dtype) or s.isna().all()):
        converted = pd.to_numeric(s, errors="coerce") if s.dtype == object and freq in (None, False) else None
        if converted is None or (converted.isna() & s.notna()).any():
            raise InputError(f"{func}: {what} column {col!r} has dtype {s.dtype} (e.g. "
                             f"{s.dropna().iloc[:3].tolist()}); periods must be integers (1, 2, ...) or pandas Periods "
                             "(data[col].dt.to_period('M')).")
        return _period_ordinals(converted.rename(col), func, what, allow_missing, freq)
    else:
        if freq not in (None, False) and not s.isna().all():
            raise InputError(f"{func}: {what} column {col!r} holds numbers but the period column holds pandas "
                             f"Periods ({freq.freqstr}); give both in the same form.")
        ords = s.to_numpy(dtype="float64", na_value=np.nan)
        finite = np.isfinite(ords)
        bad = ~np.isnan(ords) & (~finite | (np.round(np.where(finite, ords, 0)) != np.where(finite, ords, 0)))
        if bad.any():
            raise InputError(f"{func}: {what} column {col!r} must hold whole period numbers; rows "
                             f"{first_rows(s.index[bad])} do not.")
        kind = None if freq in (None, False) else freq
    missing = np.isnan(ords)
    if missing.any() and not allow_missing:
        raise InputError(f"{func}: {what} column {col!r} has {missing.sum():,} missing values (rows "
                         f"{first_rows(s.index[missing])}); every row needs a period.")
    return ords, kind


def prepare_panel(panel, func: str, *, unit, period, outcome, first_treated, cluster=None,
                  true_effect=None) -> Panel:
    """Check and code a panel; rows with a missing outcome are left out (counted in ``left_out``)."""
    cols = {"unit": unit, "period": period, "outcome": outcome, "first_treated": first_treated,
            "cluster": cluster, "true_effect": true_effect}
    check_frame(panel, func, cols, table="panel")
    ords, freq = _period_ordinals(panel[period], func, "period", allow_missing=False)
    ft, _ = _period_ordinals(panel[first_treated], func, "first_treated", allow_missing=True,
                             freq=False if freq is None else freq)
    lo, hi = int(ords.min()), int(ords.max())
    n_p = hi - lo + 1
    pcode = (ords - lo).astype(np.int64)
    present = np.bincount(pcode, minlength=n_p) > 0
    if n_p > 10 * len(panel) + 100 or not present.all():
        gaps = (np.flatnonzero(~present)[:5] + lo).tolist() if n_p <= 10 * len(panel) + 100 else "most"
        raise InputError(
            f"{func}: period column {period!r} must run over consecutive periods (so that 'the period before "
            f"adoption' is defined); periods {lo}..{hi} have no rows at {gaps}. Numbers such as 202401 (yyyymm) "
            "are not consecutive: use pandas Periods, e.g. pd.PeriodIndex(data[col].astype(str), freq='M')."
        )
    units = panel[unit]
    if units.isna().any():
        rows = units.index[units.isna().to_numpy()]
        raise InputError(f"{func}: unit column {unit!r} has missing ids (rows {first_rows(rows)}).")
    ucode, ulabels = pd.factorize(units, sort=True)
    n_u = len(ulabels)
    key = ucode.astype(np.int64) * n_p + pcode
    order = np.argsort(key, kind="stable")
    dup = np.flatnonzero(key[order][1:] == key[order][:-1])
    if dup.size:
        rows = panel.index[order[dup + 1]]
        raise InputError(f"{func}: panel has {dup.size:,} duplicate ({unit}, {period}) rows (first: "
                         f"{first_rows(rows)}); give one row per unit and period (aggregate first).")
    ft_unit = np.full(n_u, np.nan)
    ft_unit[ucode] = ft
    same = (ft_unit[ucode] == ft) | (np.isnan(ft_unit[ucode]) & np.isnan(ft))
    if not same.all():
        bad_units = [u.item() if isinstance(u, np.generic) else u for u in pd.unique(units[~same])[:5]]
        raise InputError(f"{func}: first_treated column {first_treated!r} differs within unit(s) {bad_units}; "
                         "it must be the unit's (one) adoption period on every row of that unit.")
    y, missing = numeric(panel, outcome, func, "outcome")
    if cluster is not None:
        if panel[cluster].isna().any():
            raise InputError(f"{func}: cluster column {cluster!r} has missing values (rows "
                             f"{first_rows(panel.index[panel[cluster].isna().to_numpy()])}).")
        ccode = pd.factorize(panel[cluster])[0].astype(np.int64)
    else:
        ccode = ucode.astype(np.int64)
    c_unit = np.full(n_u, -1)
    c_unit[ucode] = ccode
    nested = bool((c_unit[ucode] == ccode).all())
    tau = None
    if true_effect is not None:
        tau, miss = numeric(panel, true_effect, func, "true_effect")
        if miss.any():
            raise InputError(f"{func}: true_effect column {true_effect!r} has missing values (rows "
                             f"{first_rows(panel.index[miss])}).")
    g = ft_unit - lo  # adoption period code; may be <= 0 (treated from the start) or >= n_p (after the end)
    late = np.isfinite(g) & (g >= n_p)
    unit_notes = {"always treated (adopted in or before the first period)": int((np.isfinite(g) & (g <= 0)).sum()),
                  "adopted after the last period (treated as never treated)": int(late.sum())}
    g[late] = np.nan
    keep = ~missing
    left_out = {"outcome missing": int(missing.sum())}
    return Panel(ucode=ucode[keep].astype(np.int64), pcode=pcode[keep], y=y[keep], ccode=ccode[keep],
                 tau=None if tau is None else tau[keep], units=ulabels, n_units=n_u, n_periods=n_p, lo=lo, freq=freq,
                 g=g, nested=nested, n_clusters=int(ccode.max()) + 1, left_out=left_out, unit_notes=unit_notes,
                 names={"unit": unit, "period": period, "outcome": outcome, "first_treated": first_treated,
                        "cluster": cluster if cluster is not None else unit})


def require_variation(p: Panel, func: str, *, treated_controls: bool = False) -> None:
    """An :class:`IdentificationError` when treatment timing cannot be separated from period effects.

    ``treated_controls``: units treated from the first period on count as comparisons (their
    treatment never changes, so they trace the period effects).  True for two-way fixed effects,
    which uses them that way; False for estimators that compare only with untreated units."""
    g = p.g
    treated = np.isfinite(g)
    if not treated.any():
        raise IdentificationError(f"{func}: no variation in treatment - no unit is ever treated within the panel "
                                  f"(column {p.names['first_treated']!r} is missing or after the last period for all).")
    pre = treated & (g > 0)
    controls_exist = ((~treated).any() or np.unique(g[pre]).size > 1
                      or (treated_controls and bool((treated & (g <= 0)).any())))
    if not pre.any():
        raise IdentificationError(f"{func}: no variation in treatment - every treated unit is treated from the first "
                                  "period, so there is no before to compare with after.")
    if not controls_exist:
        raise IdentificationError(
            f"{func}: no variation in treatment - every unit adopts in the same period "
            f"({p.period_label([int(g[pre][0])])[0]}) and none is never treated, so the treatment switches on for "
            "everyone at once and cannot be told apart from what happened in that period. Add comparison units that "
            "are not (yet) treated.")


def demean(X: np.ndarray, p: Panel, tol: float = 1e-10, max_iter: int = 1000, copy: bool = True) -> np.ndarray:
    """Remove unit and period means from each column (two-way within transform).

    On a balanced panel this is exact in one step, ``x_it - mean_i - mean_t + grand mean``.  On an
    unbalanced one it iterates (alternating projections: subtract unit means, then period means,
    until both are ~0).  By the Frisch-Waugh-Lovell theorem, OLS on the demeaned columns gives
    exactly the coefficients of OLS with a dummy for every unit and every period.
    ``copy=False`` works in place on a float64 2-D array (saves memory on millions of rows).
    """
    X = np.array(X, dtype=float, copy=True) if copy or X.dtype != np.float64 else X
    if X.ndim == 1:
        X = X[:, None]
    n = len(X)
    ones, rows = np.ones(n), np.arange(n)
    by_unit = sparse.csr_matrix((ones, (p.ucode, rows)), shape=(p.n_units, n))
    by_period = sparse.csr_matrix((ones, (p.pcode, rows)), shape=(p.n_periods, n))
    n_u = np.bincount(p.ucode, minlength=p.n_units)
    n_t = np.bincount(p.pcode, minlength=p.n_periods)
    nu = np.maximum(n_u, 1).astype(float)[:, None]
    npd = np.maximum(n_t, 1).astype(float)[:, None]
    if (n_u == p.n_periods).all():  # balanced: one exact step
        unit_means, period_means, grand = by_unit @ X / nu, by_period @ X / npd, X.mean(axis=0)
        X -= np.take(unit_means, p.ucode, axis=0)  # (np.take with out= is far slower on 2-D arrays)
        X -= np.take(period_means, p.pcode, axis=0)
        X += grand
        return X
    scale = np.maximum(np.abs(X).max(axis=0), 1.0)
    for _ in range(max_iter):
        X -= np.take(by_unit @ X / nu, p.ucode, axis=0)
        X -= np.take(by_period @ X / npd, p.pcode, axis=0)
        if (np.abs(by_unit @ X / nu).max(axis=0) / scale < tol).all():
            return X
    raise IdentificationError("demeaning did not converge; the panel may be too fragmented (units observed once).")
