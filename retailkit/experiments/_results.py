"""Immutable results objects shared by the experiment analyses (private).

Every analysis returns a small object in statsmodels' vocabulary (``params``/``effect``, ``bse``,
``conf_int()``, ``pvalue``, ``nobs``, ``summary()``) plus ``to_frame()`` for tidy output.  Nothing on
them can be reassigned; tables are handed out as copies, so editing one cannot change the result.
"""

from __future__ import annotations

from types import MappingProxyType

import numpy as np
import pandas as pd

from retailkit._text import Summary
from retailkit._text import fmt as _fmt

__all__ = ["Frozen", "Summary", "EffectResult", "fmt", "table_lines"]


def fmt(value, width: int = 11) -> str:
    """Right-aligned number for a text table (whole numbers with thousands separators)."""
    return _fmt(value, width, thousands=True)


def table_lines(frame: pd.DataFrame, columns: dict, label: str, width: int = 78) -> list[str]:
    """Rows of ``frame`` as fixed-width text: ``columns`` maps column name to header."""
    cell = max(9, (width - 14) // max(len(columns), 1))
    lines = [f"{label:<14}" + "".join(f"{h:>{cell}}" for h in columns.values()), "-" * width]
    for name in frame.index:
        lines.append(f"{str(name)[:14]:<14}" + "".join(fmt(frame.at[name, c], cell) for c in columns))
    return lines


class Frozen:
    """Base class: attributes are set once in ``__init__`` (via ``_set``) and never again."""

    def _set(self, **values) -> None:
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is immutable; run the analysis again to change it.")

    def __delattr__(self, name):
        raise AttributeError(f"{type(self).__name__} is immutable.")


class EffectResult(Frozen):
    """The effect of treatment versus control on one outcome (two proportions, two means, CUPED).

    Attributes
    ----------
    effect : float
        Difference in means, treatment minus control (for a 0/1 outcome: in proportion points).
    bse : float
        Standard error of the difference.
    ci_lower, ci_upper : float
        Confidence interval for the difference (method in ``ci_method``).
    lift : float
        Relative lift, ``effect / mean_control`` (0.10 means +10%), with ``lift_ci_lower`` and
        ``lift_ci_upper``.
    statistic, stat_name, df, pvalue : float, str, float, float
        Test statistic (``"z"`` or ``"t"``), its degrees of freedom (NaN for z) and the two-sided
        p-value for "no difference".
    nobs_treatment, nobs_control : int
        Rows analysed per arm.
    extra : mapping
        Estimator-specific numbers (e.g. CUPED's ``theta`` and ``variance_reduction``).
    attrs : mapping
        ``rows_left_out`` (counts by reason) and other bookkeeping.
    """

    _FIELDS = ("method", "outcome", "treatment", "control", "nobs_treatment", "nobs_control", "mean_treatment",
               "mean_control", "effect", "bse", "ci_lower", "ci_upper", "lift", "lift_ci_lower", "lift_ci_upper",
               "statistic", "stat_name", "df", "pvalue", "alpha", "ci_method")

    def __init__(self, *, extra=None, attrs=None, notes=(), **values):
        missing = set(self._FIELDS) - set(values)
        if missing:  # pragma: no cover - programming error
            raise TypeError(f"EffectResult is missing {sorted(missing)}")
        self._set(**values, extra=MappingProxyType(dict(extra or {})),
                  attrs=MappingProxyType(dict(attrs or {})), notes=tuple(notes))

    @property
    def nobs(self) -> int:
        """Rows analysed in both arms."""
        return self.nobs_treatment + self.nobs_control

    @property
    def significant(self) -> bool:
        """Whether the p-value is below ``alpha`` (the interval then excludes 0)."""
        return bool(self.pvalue < self.alpha)

    def conf_int(self) -> pd.DataFrame:
        """Intervals at level ``1 - alpha``: rows ``difference`` and ``lift``, columns lower/upper."""
        return pd.DataFrame({"lower": [self.ci_lower, self.lift_ci_lower],
                             "upper": [self.ci_upper, self.lift_ci_upper]}, index=["difference", "lift"])

    def to_frame(self) -> pd.DataFrame:
        """One tidy row with every number (and the estimator-specific extras)."""
        row = {"outcome": self.outcome, "treatment": self.treatment, "control": self.control,
               "n_treatment": self.nobs_treatment, "n_control": self.nobs_control,
               "mean_treatment": self.mean_treatment, "mean_control": self.mean_control,
               "difference": self.effect, "std_err": self.bse, "ci_lower": self.ci_lower, "ci_upper": self.ci_upper,
               "lift": self.lift, "lift_ci_lower": self.lift_ci_lower, "lift_ci_upper": self.lift_ci_upper,
               "statistic": self.statistic, "df": self.df, "pvalue": self.pvalue, "alpha": self.alpha,
               "method": self.method, "ci_method": self.ci_method, **dict(self.extra)}
        out = pd.DataFrame([row])
        out.attrs.update({k: (dict(v) if isinstance(v, dict | MappingProxyType) else v) for k, v in self.attrs.items()})
        return out

    def summary(self) -> Summary:
        """A text table of the comparison; ``print(res.summary())``."""
        w = 78
        level = f"{1 - self.alpha:.0%}"
        lines = [f"{self.method}".center(w), "=" * w,
                 f"Outcome: {self.outcome!s:<30} Treatment: {self.treatment!r} vs control: {self.control!r}",
                 "=" * w]
        arms = pd.DataFrame({"n": [self.nobs_treatment, self.nobs_control],
                             "mean": [self.mean_treatment, self.mean_control]}, index=["treatment", "control"])
        lines += table_lines(arms, {"n": "n", "mean": "mean"}, "arm", w)
        lines.append("=" * w)
        est = pd.DataFrame({"est": [self.effect, self.lift], "lo": [self.ci_lower, self.lift_ci_lower],
                            "hi": [self.ci_upper, self.lift_ci_upper]}, index=["difference", "relative lift"])
        lines += table_lines(est, {"est": "estimate", "lo": f"{level} lower", "hi": f"{level} upper"}, "", w)
        df_text = "" if not np.isfinite(self.df) else f" (df = {self.df:,.1f})"
        lines += ["-" * w, f"{self.stat_name} = {self.statistic:.4f}{df_text}, two-sided p-value = {self.pvalue:.4g};"
                  f" std err of the difference = {self.bse:.4g}",
                  f"Interval for the difference: {self.ci_method}."]
        for key, value in self.extra.items():
            lines.append(f"{key}: {value:.4g}" if isinstance(value, float) else f"{key}: {value}")
        left = {k: v for k, v in dict(self.attrs.get("rows_left_out", {})).items() if v}
        if left:
            lines.append("Rows left out: " + ", ".join(f"{n:,} ({why})" for why, n in left.items()))
        lines += [f"Note: {n}" for n in self.notes]
        lines.append("=" * w)
        return Summary("\n".join(lines))

    def __repr__(self) -> str:
        return (f"<{type(self).__name__}: {self.outcome} difference {self.effect:.4g} "
                f"[{self.ci_lower:.4g}, {self.ci_upper:.4g}], lift {self.lift:+.2%}, p={self.pvalue:.3g}, "
                f"n={self.nobs_treatment:,}/{self.nobs_control:,}>")
