"""Text summaries of fitted models, laid out like statsmodels' ``summary()`` (78 columns)."""

from __future__ import annotations

from retailkit._text import Summary
from retailkit._text import fmt as _fmt

__all__ = ["Summary", "nobs_value", "summary_table"]


def nobs_value(nobs: float):
    """``nobs`` as an int when it is a whole number (frequency weights may make it fractional)."""
    return int(nobs) if float(nobs).is_integer() else float(nobs)


def summary_table(res, alpha: float = 0.05) -> Summary:
    """Build the statsmodels-style text table of a :class:`~retailkit.clv._mle.MLEResults`."""
    width = 78
    method = "Maximum Likelihood" if res.nobs > 0 else "Supplied"
    left = [("Model:", res.model_name), ("Method:", method),
            ("No. Observations:", nobs_value(res.nobs)), ("Distinct patterns:", res.n_patterns)]
    right = [("Log-Likelihood:", res.llf), ("AIC:", res.aic), ("BIC:", res.bic),
             ("Converged:", res.converged)]
    extra = list(res._info)
    for i, item in enumerate(extra):
        (left if i % 2 == 0 else right).append(item)
    while len(left) < len(right):
        left.append(("", ""))
    while len(right) < len(left):
        right.append(("", ""))
    title = f"{res.model_name} Results"
    lines = [title.center(width), "=" * width]
    for (lk, lv), (rk, rv) in zip(left, right, strict=True):
        lcell = f"{lk:<20}{_fmt(lv, 18)}" if lk else " " * 38
        rcell = f"{rk:<21}{_fmt(rv, 16)}" if rk else ""
        lines.append(f"{lcell}   {rcell}".rstrip())
    lines.append("=" * width)
    ci = res.conf_int(alpha)
    lo, hi = f"[{alpha / 2:.3f}", f"{1 - alpha / 2:.3f}]"
    lines.append(f"{'':<10}{'coef':>12}{'std err':>12}{lo:>14}{hi:>14}")
    lines.append("-" * width)
    for name, est, se, a, b in zip(res._names, res._values, res.bse, ci["lower"], ci["upper"], strict=True):
        lines.append(f"{name:<10}{_fmt(est, 12)}{_fmt(se, 12)}{_fmt(a, 14)}{_fmt(b, 14)}")
    lines.append("=" * width)
    lines.append("Notes:")
    lines.append("[1] Standard errors from the observed information (Hessian at the optimum).")
    lines.append("[2] Intervals are Wald intervals on the log scale: coef * exp(+/-z se/coef).")
    if not res.converged:
        lines.append(f"[3] Warning: {res.message}.")
    return Summary("\n".join(lines))
