"""The Goodman-Bacon decomposition: which comparisons a two-way fixed effects estimate is made of.

On a balanced panel with a staggered roll-out, the TWFE coefficient is *exactly* a weighted
average of simple 2x2 difference-in-differences between groups of units that adopted at
different times (Goodman-Bacon 2021, Theorem 1).  Group the units by adoption period ``k``
(plus ``U``, never treated, and ``A``, treated from the first period on), with ``n_k`` their
share of units and ``D_k`` the share of periods in which group ``k`` is treated.  The
comparisons are:

* **treated vs never treated**: group ``k`` before and after ``k``, against ``U`` over the same
  periods; weight ``(n_k + n_U)^2 n_kU (1 - n_kU) D_k (1 - D_k)`` with ``n_kU = n_k / (n_k + n_U)``;
* **earlier vs later (not yet treated) control**: ``k < l``; group ``k`` before and after ``k``,
  against ``l`` before ``l`` adopts (periods before ``l``); weight
  ``((n_k + n_l)(1 - D_l))^2 n_kl (1 - n_kl) (D_k - D_l)/(1 - D_l) (1 - D_k)/(1 - D_l)``;
* **later vs earlier (already treated) control**: group ``l`` before and after ``l``, against
  ``k``, *already treated*, over the periods from ``k`` on; weight
  ``((n_k + n_l) D_k)^2 n_kl (1 - n_kl) D_l/D_k (D_k - D_l)/D_k``.

The weights are divided by their sum (the variance of the treatment dummy after removing unit
and period effects), so they add up to one, and ``sum(weight * estimate)`` equals the TWFE
coefficient to rounding -- :func:`bacon_decomposition` checks that identity on every call.  The
third kind is the "forbidden" comparison: when the effect grows with time since adoption, the
already-treated controls are still rising *because of the treatment*, and those 2x2s subtract
part of the effect.  The decomposition shows how much weight they carry, which is what biases
TWFE; :func:`retailkit.experiments.group_time_att` never makes them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from retailkit.errors import IdentificationError, InputError
from retailkit.experiments._panel import demean, prepare_panel, require_variation

__all__ = ["bacon_decomposition", "BACON_COMPARISONS"]

BACON_COMPARISONS = (
    "treated vs never treated",
    "earlier vs later (not yet treated) control",
    "later vs earlier (already treated) control",
)


def bacon_decomposition(panel: pd.DataFrame, *, unit: str, period: str, outcome: str,
                        first_treated: str) -> pd.DataFrame:
    """Decompose the two-way fixed effects estimate into its 2x2 comparisons (Goodman-Bacon 2021).

    Parameters
    ----------
    panel : pandas.DataFrame
        A *balanced* panel, one row per unit and period (as for :func:`twfe`).
    unit, period, outcome, first_treated : str
        Column names, as for :func:`twfe` (missing ``first_treated``: never treated; adoption in
        or before the first period: always treated; after the last: never treated).

    Returns
    -------
    pandas.DataFrame
        One row per 2x2 comparison: ``comparison`` (one of :data:`BACON_COMPARISONS`),
        ``treated`` and ``control`` (labels: the groups' first treated period as text, or "never
        treated" / "always treated"), ``estimate`` (the 2x2 difference-in-differences) and ``weight`` (adding
        up to 1), largest weight first.  ``attrs`` holds ``twfe`` (the coefficient the rows add
        up to), ``by_comparison`` (each kind's total weight and weighted mean estimate) and the
        panel's ``units`` notes.

    Raises
    ------
    InputError
        The panel is not balanced (after leaving out missing outcomes), or bad columns.
    IdentificationError
        No variation in treatment timing.
    """
    func = "bacon_decomposition"
    p = prepare_panel(panel, func, unit=unit, period=period, outcome=outcome, first_treated=first_treated)
    require_variation(p, func, treated_controls=True)
    n_u, n_p = p.n_units, p.n_periods
    seen = np.bincount(p.ucode, minlength=n_u)
    if len(p.y) != n_u * n_p or (seen != n_p).any():
        short = np.flatnonzero(seen != n_p)
        example = [p.units[i].item() if isinstance(p.units[i], np.generic) else p.units[i] for i in short[:3]]
        raise InputError(
            f"{func}: the decomposition is exact only on a balanced panel, but {len(short):,} unit(s) lack some of "
            f"the {n_p} periods (e.g. {example}; missing outcomes count: {p.left_out['outcome missing']:,}). "
            "Keep the units observed in every period, or fill the outcome where a zero is the truth."
        )
    Y = np.empty((n_u, n_p))
    Y[p.ucode, p.pcode] = p.y
    g = np.where(np.isfinite(p.g), np.maximum(p.g, 0), -1).astype(np.int64)  # -1 never, 0 always treated
    groups, idx = np.unique(g, return_inverse=True)
    share = np.bincount(idx) / n_u
    path = np.vstack([Y[idx == j].mean(axis=0) for j in range(len(groups))])  # a handful of groups
    dbar = np.where(groups < 0, 0.0, (n_p - groups) / n_p)

    def window(j, a, b):
        return path[j, a:b].mean()

    def label(k):
        if k < 0:
            return "never treated"
        if k == 0:
            return "always treated"
        return str(p.period_label([k])[0])

    rows = []
    never = np.flatnonzero(groups < 0)
    timing = np.flatnonzero(groups >= 0)
    for j in timing:
        k = groups[j]
        if k == 0 or not never.size:
            continue
        u = never[0]
        est = (window(j, k, n_p) - window(j, 0, k)) - (window(u, k, n_p) - window(u, 0, k))
        nk = share[j] / (share[j] + share[u])
        w = (share[j] + share[u]) ** 2 * nk * (1 - nk) * dbar[j] * (1 - dbar[j])
        rows.append((BACON_COMPARISONS[0], label(k), label(-1), est, w))
    for a, j in enumerate(timing):
        for m in timing[a + 1:]:
            k, el = groups[j], groups[m]  # k < el: j adopted earlier
            nk = share[j] / (share[j] + share[m])
            size = (share[j] + share[m]) ** 2 * nk * (1 - nk)
            if k > 0:  # earlier group treated, later one (not yet treated) the control, periods before el
                est = (window(j, k, el) - window(j, 0, k)) - (window(m, k, el) - window(m, 0, k))
                w = size * (1 - dbar[m]) ** 2 * (dbar[j] - dbar[m]) / (1 - dbar[m]) * (1 - dbar[j]) / (1 - dbar[m])
                rows.append((BACON_COMPARISONS[1], label(k), label(el), est, w))
            # later group treated, earlier one (already treated) the control, periods from k on
            est = (window(m, el, n_p) - window(m, k, el)) - (window(j, el, n_p) - window(j, k, el))
            w = size * dbar[j] ** 2 * dbar[m] / dbar[j] * (dbar[j] - dbar[m]) / dbar[j]
            rows.append((BACON_COMPARISONS[2], label(el), label(k), est, w))
    out = pd.DataFrame(rows, columns=["comparison", "treated", "control", "estimate", "weight"])
    total = out["weight"].sum()
    if not total > 0:
        raise IdentificationError(f"{func}: no 2x2 comparison has any weight: treatment timing does not vary.")
    out["weight"] /= total
    out["comparison"] = pd.Categorical(out["comparison"], categories=list(BACON_COMPARISONS))
    out = out.sort_values("weight", ascending=False, kind="stable", ignore_index=True)

    # the identity the decomposition rests on: the weighted 2x2s add up to the TWFE coefficient
    dm = demean(np.column_stack([p.y, p.treated]), p, copy=False)
    beta = float(dm[:, 0] @ dm[:, 1] / (dm[:, 1] @ dm[:, 1]))
    recomposed = float((out["weight"] * out["estimate"]).sum())
    if not np.isclose(recomposed, beta, rtol=1e-8, atol=1e-10 * max(1.0, np.abs(p.y).max())):
        raise RuntimeError(f"{func}: the 2x2s add up to {recomposed!r}, TWFE gives {beta!r}; please report this.")
    by = {}
    for name, part in out.groupby("comparison", observed=True):
        wsum = float(part["weight"].sum())
        by[name] = {"weight": wsum, "estimate": float((part["weight"] * part["estimate"]).sum() / wsum)}
    out.attrs.update(twfe=beta, by_comparison=by, units=p.unit_notes)
    return out
