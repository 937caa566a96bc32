"""Uplift modelling with two models (the "T-learner"): whom does the campaign actually move?

A randomised test gives the *average* effect.  Targeting needs each customer's effect, the
difference between their chance of the outcome with and without the treatment.  Nobody is seen
both ways, but randomisation makes the two arms alike, so fit one model of the outcome on the
treatment arm and one on the control arm and take the difference of their predictions::

    uplift(x) = P(outcome | x, treated) - P(outcome | x, control)

Both models here are logistic regressions fitted with ``statsmodels.formula.api.logit``, so the
right-hand side is an ordinary statsmodels formula.  The T-learner is
simple and honest but noisy: the difference of two fitted models carries the errors of both, and
a formula that misses how the effect varies cannot find it (give it the interactions or
transformations that matter, e.g. ``bs(recency_days, 4)``).  Judge it with a Qini curve on data it
was *not* fitted on (:func:`retailkit.experiments.qini_curve`).

Customers most likely to churn are not necessarily the ones the campaign moves: the lost may
ignore it, the loyal buy anyway.  Targeting by churn risk answers "who is leaving", uplift answers
"whom can we change" (see :func:`retailkit.experiments.targeting_comparison`).
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from pandas.api import types as pdt

from retailkit.errors import IdentificationError, InputError, first_rows
from retailkit.experiments._common import check_frame, numeric, plain, split_arms, warn_left_out
from retailkit.experiments._results import Frozen, Summary

__all__ = ["two_model_uplift", "TwoModelUplift"]

_NAME = re.compile(r"Q\(\s*['\"](.+?)['\"]\s*\)|([A-Za-z_][A-Za-z0-9_.]*)")


def _rhs(func, outcome, features, formula) -> str:
    if (features is None) == (formula is None):
        raise InputError(f"{func}: give exactly one of features=[column names] or formula='x1 + C(x2) + ...'.")
    if features is not None:
        if isinstance(features, str):
            features = [features]
        if len(features) == 0:
            raise InputError(f"{func}: features is empty; name at least one column.")
        return " + ".join(f if f.isidentifier() else f"Q({f!r})" for f in features)
    if not isinstance(formula, str) or not formula.strip():
        raise InputError(f"{func}: formula must be a non-empty string such as 'recency_days + C(channel)'.")
    if "~" in formula:
        lhs, formula = formula.split("~", 1)
        if lhs.strip() and lhs.strip() != str(outcome):
            raise InputError(f"{func}: the formula's left side {lhs.strip()!r} is not outcome={outcome!r}; write "
                             "only the right-hand side (the outcome comes from outcome=).")
    return formula.strip()


def _used_columns(rhs: str, columns) -> list:
    names = {m.group(1) or m.group(2) for m in _NAME.finditer(rhs)}
    return [c for c in columns if c in names]


def _design_frame(data, used, categories: dict) -> pd.DataFrame:
    """Numeric columns as float64, everything else as categoricals with the training levels."""
    out = {}
    for col in used:
        s = data[col]
        if col in categories:
            out[col] = pd.Categorical(s, categories=categories[col])
        else:
            out[col] = s.to_numpy(dtype="float64", na_value=np.nan)
    return pd.DataFrame(out, index=data.index)


class TwoModelUplift(Frozen):
    """A fitted two-model (T-learner) uplift model.

    Attributes
    ----------
    treatment_model, control_model : statsmodels LogitResults
        The two fitted logistic regressions (``.summary()``, ``.params``, ``.bse``).
    formula : str
        The right-hand side used for both models.
    nobs_treatment, nobs_control : int
        Rows each model was fitted on.
    attrs : dict
        ``rows_left_out`` by reason.
    """

    def __init__(self, **values):
        self._set(**values)

    @property
    def params(self) -> pd.DataFrame:
        """Coefficients of both models side by side (log-odds scale)."""
        return pd.DataFrame({"treatment": self.treatment_model.params, "control": self.control_model.params})

    @property
    def bse(self) -> pd.DataFrame:
        """Standard errors of both models' coefficients."""
        return pd.DataFrame({"treatment": self.treatment_model.bse, "control": self.control_model.bse})

    def _matrix(self, data):
        func = "TwoModelUplift.predict"
        check_frame(data, func, {c: c for c in self.columns})
        for col in self.columns:
            missing = data[col].isna().to_numpy()
            if missing.any():
                raise InputError(f"{func}: column {col!r} has {missing.sum():,} missing values (rows "
                                 f"{first_rows(data.index[missing])}); a score needs every feature. Fill or drop them.")
            if col in self.categories:
                unseen = ~data[col].isin(self.categories[col]).to_numpy()
                if unseen.any():
                    levels = plain(pd.unique(data[col][unseen]), 8)
                    raise InputError(f"{func}: column {col!r} has level(s) {levels} never seen in training "
                                     f"(known: {list(self.categories[col])[:12]}); the models have no coefficient "
                                     "for them. Map them to a known level first.")
        return _design_frame(data, self.columns, self.categories)

    def predict(self, data: pd.DataFrame, *, components: bool = False):
        """Uplift scores: ``P(outcome | treated) - P(outcome | control)`` for each row of ``data``.

        Parameters
        ----------
        data : pandas.DataFrame
            Rows to score; needs the feature columns (not the outcome or arm).
        components : bool
            If True return a frame with ``p_treatment``, ``p_control`` and ``uplift``.

        Returns
        -------
        pandas.Series or pandas.DataFrame
            Aligned with ``data.index``; the Series is named ``"uplift"``.
        """
        frame = self._matrix(data)
        p_t = np.asarray(self.treatment_model.predict(frame))
        p_c = np.asarray(self.control_model.predict(frame))
        if components:
            return pd.DataFrame({"p_treatment": p_t, "p_control": p_c, "uplift": p_t - p_c}, index=data.index)
        return pd.Series(p_t - p_c, index=data.index, name="uplift")

    def summary(self) -> Summary:
        """Coefficients (log-odds) and standard errors of both models."""
        w = 78
        table = pd.concat([self.params, self.bse.add_suffix(" se")], axis=1)
        lines = ["Two-model (T-learner) uplift: logistic regressions by arm".center(w), "=" * w,
                 f"Outcome: {self.outcome}   formula: {self.formula}",
                 f"Treatment {self.treatment!r}: n = {self.nobs_treatment:,}, converged = "
                 f"{self.treatment_model.mle_retvals.get('converged')}   Control {self.control!r}: "
                 f"n = {self.nobs_control:,}, converged = {self.control_model.mle_retvals.get('converged')}",
                 "=" * w, table.to_string(float_format=lambda v: f"{v:.4f}"), "=" * w,
                 "uplift(x) = expit(x'b_treatment) - expit(x'b_control)"]
        return Summary("\n".join(lines))

    def __repr__(self) -> str:
        return (f"<TwoModelUplift: {self.outcome} ~ {self.formula}; n={self.nobs_treatment:,}/"
                f"{self.nobs_control:,}>")


def two_model_uplift(train: pd.DataFrame, *, outcome: str, arm: str, features=None, formula: str | None = None,
                     treatment="treatment", control="control", maxiter: int = 100) -> TwoModelUplift:
    """Fit a two-model ("T-learner") uplift model: one logistic regression per arm.

    Parameters
    ----------
    train : pandas.DataFrame
        Randomised experiment data, one row per customer (keep a holdout to evaluate the scores).
    outcome : str
        0/1 outcome column (e.g. repurchased).
    arm : str
        Column with the arm labels.
    features : list of str, optional
        Columns used as they are (numeric columns linearly, text/categorical columns as dummies).
    formula : str, optional
        Right-hand side of a statsmodels (patsy) formula instead of ``features``, e.g.
        ``"np.log(recency_days) + frequency + C(channel)"``.  Give exactly one of the two.
    treatment, control : hashable
        Labels of the two arms.
    maxiter : int
        Newton iterations allowed for each logistic regression.

    Returns
    -------
    TwoModelUplift
        With ``predict(data)`` (uplift scores), ``params``, ``summary()`` and both statsmodels fits.
        Rows with a missing arm, outcome or feature are left out and counted in
        ``attrs["rows_left_out"]``.

    Notes
    -----
    Text columns are turned into categoricals once (formula parsing is slow on millions of strings)
    and the training levels are stored, so scoring new data uses the same dummies.  The formula
    is evaluated in this module, so it may use ``np`` and the formula built-ins (``C``, ``I``,
    ``bs``, ``center``, ...), not functions of your own.
    """
    func = "two_model_uplift"
    rhs = _rhs(func, outcome, features, formula)
    check_frame(train, func, {"outcome": outcome, "arm": arm}, table="train")
    used = _used_columns(rhs, train.columns)
    if features is not None:
        check_frame(train, func, {f"features[{i}]": c for i, c in enumerate(features)}, table="train")
    if not used:
        raise InputError(f"{func}: the formula {rhs!r} names no column of train (columns: {list(train.columns)[:12]}).")
    is_t, _, missing_arm = split_arms(train, arm, treatment, control, func)
    y, missing_y = numeric(train, outcome, func, "outcome")
    keep = ~missing_arm
    left_out = {"arm missing": int(missing_arm.sum()), "outcome missing": int((missing_y & keep).sum())}
    keep &= ~missing_y
    for col in used:
        miss = train[col].isna().to_numpy()
        left_out[f"{col} missing"] = int((miss & keep).sum())
        keep &= ~miss
    y = y[keep]
    bad = (y != 0) & (y != 1)
    if bad.any():
        raise InputError(f"{func}: outcome column {outcome!r} must hold 0/1 for logistic regressions; {bad.sum():,} "
                         f"rows do not (first: {first_rows(train.index[keep][bad])}).")
    rows = train.loc[keep] if not keep.all() else train
    categories = {}
    for col in used:
        s = rows[col]
        if not pdt.is_numeric_dtype(s.dtype) or pdt.is_bool_dtype(s.dtype):
            categories[col] = pd.Categorical(s).categories
    frame = _design_frame(rows, used, categories)
    frame["_y"] = y
    treated = is_t[keep]
    fits = {}
    for name, mask, label in (("treatment", treated, treatment), ("control", ~treated, control)):
        ym = y[mask]
        if mask.sum() < 3 or ym.min() == ym.max():
            raise IdentificationError(
                f"{func}: the {name} arm ({label!r}) has {mask.sum():,} usable rows with outcome values "
                f"{sorted(set(ym[:1000].tolist()))}; a logistic regression needs both outcomes (0 and 1).")
        try:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=".*HessianInversionWarning.*")
                fits[name] = smf.logit(f"_y ~ {rhs}", frame[mask] if not mask.all() else frame).fit(
                    disp=0, maxiter=maxiter)
        except np.linalg.LinAlgError as exc:
            raise IdentificationError(f"{func}: the {name} arm's logistic regression is singular ({exc}): a feature "
                                      "is constant or collinear in that arm (e.g. a category level with no rows). "
                                      "Simplify the formula.") from None
        except Exception as exc:  # formula errors from the formula engine
            if type(exc).__name__ in ("PatsyError", "FormulaSyntaxError", "FactorEvaluationError"):
                raise InputError(f"{func}: the formula {rhs!r} could not be built: {exc}") from None
            raise
    warn_left_out(func, left_out)
    return TwoModelUplift(treatment_model=fits["treatment"], control_model=fits["control"], formula=rhs,
                          outcome=outcome, arm=arm, treatment=treatment, control=control, columns=tuple(used),
                          categories=categories, nobs_treatment=int(treated.sum()),
                          nobs_control=int((~treated).sum()), attrs={"rows_left_out": left_out})
