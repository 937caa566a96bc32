"""Logistic churn model with a formula (patsy design, statsmodels ``Logit``) and its results."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import patsy
from pandas.api import types as pdt
from scipy import special

from retailkit._logs import RowsLeftOutWarning, require_columns
from retailkit.churn._common import _binary
from retailkit.errors import IdentificationError, InputError

__all__ = ["fit_churn_model", "ChurnModelResults"]


class ChurnModelResults:
    """Immutable results of :func:`fit_churn_model` (a logistic regression).

    Attributes
    ----------
    params, bse, pvalues : pandas.Series
        Log odds ratios, standard errors, p-values.
    odds_ratios : pandas.Series
        ``exp(params)``.
    fitted : pandas.Series
        In-sample predicted probabilities, aligned with the rows used.
    llf, aic, bic, prsquared : float
        Log-likelihood, information criteria, McFadden's pseudo R-squared.
    nobs : int
    converged : bool
    formula, outcome : str
    rows_left_out : dict
        Rows left out by reason (missing values in the model's variables).
    statsmodels_results : statsmodels LogitResults
    """

    def __init__(self, sm_results, *, formula: str, outcome: str, design_info, rows_left_out: dict):
        object.__setattr__(self, "statsmodels_results", sm_results)
        object.__setattr__(self, "_design_info", design_info)
        object.__setattr__(self, "formula", formula)
        object.__setattr__(self, "outcome", outcome)
        object.__setattr__(self, "rows_left_out", dict(rows_left_out))

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is immutable; fit again to change it.")

    @property
    def params(self) -> pd.Series:
        """Log odds ratios."""
        return self.statsmodels_results.params.rename("params")

    @property
    def bse(self) -> pd.Series:
        """Standard errors of :attr:`params`."""
        return self.statsmodels_results.bse.rename("bse")

    @property
    def pvalues(self) -> pd.Series:
        """Wald p-values."""
        return self.statsmodels_results.pvalues.rename("pvalues")

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """Wald intervals for :attr:`params` (columns lower, upper)."""
        ci = self.statsmodels_results.conf_int(alpha)
        ci.columns = ["lower", "upper"]
        return ci

    @property
    def odds_ratios(self) -> pd.Series:
        """``exp(params)``."""
        return np.exp(self.params).rename("odds_ratio")

    @property
    def fitted(self) -> pd.Series:
        """In-sample predicted probabilities of the outcome."""
        linear = self.statsmodels_results.fittedvalues  # x' beta on the rows used
        return pd.Series(special.expit(np.asarray(linear)), index=linear.index, name=f"p_{self.outcome}")

    llf = property(lambda self: float(self.statsmodels_results.llf), doc="Log-likelihood.")
    aic = property(lambda self: float(self.statsmodels_results.aic), doc="Akaike information criterion.")
    bic = property(lambda self: float(self.statsmodels_results.bic), doc="Bayesian information criterion.")
    prsquared = property(lambda self: float(self.statsmodels_results.prsquared), doc="McFadden's pseudo R2.")
    nobs = property(lambda self: int(self.statsmodels_results.nobs), doc="Rows used.")
    converged = property(lambda self: bool(self.statsmodels_results.mle_retvals.get("converged", False)),
                         doc="Whether the optimiser converged.")

    def summary(self, alpha: float = 0.05):
        """statsmodels' summary of the logistic regression."""
        return self.statsmodels_results.summary(alpha=alpha)

    def predict(self, new_data: pd.DataFrame) -> pd.Series:
        """Predicted probability of the outcome for each row of ``new_data``.

        Parameters
        ----------
        new_data : pandas.DataFrame
            The variables of the formula (categorical levels must be ones seen in the fit).

        Returns
        -------
        pandas.Series
            Aligned with ``new_data.index``, named ``p_<outcome>``.
        """
        if not isinstance(new_data, pd.DataFrame):
            raise InputError(f"predict: expected a pandas DataFrame, got {type(new_data).__name__}.")
        try:
            (X,) = patsy.build_design_matrices([self._design_info], new_data, NA_action="raise",
                                               return_type="dataframe")
        except patsy.PatsyError as exc:
            raise InputError(f"predict: cannot build the variables of {self.formula!r} for new_data: {exc}") from None
        p = special.expit(X.to_numpy(dtype=float) @ self.statsmodels_results.params.to_numpy())
        return pd.Series(p, index=new_data.index, name=f"p_{self.outcome}")

    def __repr__(self) -> str:
        return f"<ChurnModelResults: {self.formula!r}, n={self.nobs:,}, llf={self.llf:.2f}>"


def fit_churn_model(frame: pd.DataFrame, formula: str) -> ChurnModelResults:
    """Logistic regression of a binary outcome with a formula (patsy design, ``statsmodels`` ``Logit``).

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per customer, e.g. from :func:`churn_features` or :func:`churn_labels`.
    formula : str
        patsy formula with the outcome on the left, e.g.
        ``"buys_next ~ np.log1p(recency_days) + np.log1p(frequency) + C(channel)"``.  The outcome
        must be a column holding booleans or 0/1.  Names are looked up in ``frame``, then in the
        caller's namespace (``np`` is always available).

    Returns
    -------
    ChurnModelResults

    Raises
    ------
    SchemaError
        The outcome column is missing.
    InputError
        No ``~``, an outcome that is not binary, a formula that cannot be evaluated.
    IdentificationError
        An outcome with a single value (nothing to model).

    Notes
    -----
    Rows with a missing value in a model variable are left out, counted in ``res.rows_left_out``
    and reported with a :class:`~retailkit.RowsLeftOutWarning`.
    """
    import statsmodels.api as sm

    func = "fit_churn_model"
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"{func}: expected a pandas DataFrame, got {type(frame).__name__}.")
    if not isinstance(formula, str) or "~" not in formula:
        raise InputError(f"{func}: formula must read 'outcome ~ covariates', got {formula!r}.")
    outcome = formula.split("~", 1)[0].strip()
    require_columns(frame, {"outcome": outcome}, func, table="frame")
    y = _binary(frame[outcome].dropna(), f"the outcome {outcome!r}", func)
    if len(np.unique(y)) < 2:
        raise IdentificationError(f"{func}: the outcome {outcome!r} takes a single value; there is nothing to model.")
    if pdt.is_bool_dtype(frame[outcome].dtype):  # patsy would treat a bool outcome as categorical
        frame = frame.assign(**{outcome: frame[outcome].astype("float64")})
    # A category level with no rows (e.g. a channel a store never used) would make an all-zero
    # dummy column and a singular design: levels are taken from the data, not the dtype.
    unused = {c: frame[c].cat.remove_unused_categories() for c in frame.columns
              if isinstance(frame[c].dtype, pd.CategoricalDtype)}
    frame = frame.assign(**unused) if unused else frame
    env = patsy.EvalEnvironment.capture(1).with_outer_namespace({"np": np})
    try:
        endog, exog = patsy.dmatrices(formula, frame, eval_env=env, NA_action="drop", return_type="dataframe")
    except patsy.PatsyError as exc:
        raise InputError(f"{func}: cannot build the model {formula!r}: {exc}") from None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = sm.Logit(endog.iloc[:, 0], exog).fit(disp=0, maxiter=100)
    left = len(frame) - len(endog)
    if left:
        warnings.warn(
            f"{func}: left out {left:,} rows with a missing value in a model variable; the count is in "
            "res.rows_left_out.", RowsLeftOutWarning, stacklevel=2,
        )
    return ChurnModelResults(res, formula=formula, outcome=outcome, design_info=exog.design_info,
                             rows_left_out={"missing value in a model variable": left})
