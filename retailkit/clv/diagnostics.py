"""Model checks for the purchase models, as tidy DataFrames (plots are drawn elsewhere).

* :func:`holdout_comparison` / :func:`holdout_metrics` -- predicted versus actual purchases in a
  holdout period, by calibration frequency and overall (MAE, RMSE, bias).
* :func:`period_transaction_histogram` -- how many customers made 0, 1, 2, ... repeat purchases in
  the calibration period, observed and expected under the model.
* :func:`frequency_recency_matrix` -- expected purchases and P(alive) on a frequency x recency grid.
* :func:`expected_cumulative_purchases` -- the model's cumulative repeat purchases over time for the
  observed cohort (the "tracking" curve).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from retailkit.clv._data import check_columns, column, compress
from retailkit.errors import InputError

__all__ = [
    "expected_cumulative_purchases",
    "frequency_recency_matrix",
    "holdout_comparison",
    "holdout_metrics",
    "period_transaction_histogram",
]


def _check_model(result):
    if not hasattr(result, "_cond_expected"):
        raise InputError("result must be a fitted BetaGeo or ParetoNBD result.")


def _labels(groups, max_frequency):
    return [f"{g}+" if g == max_frequency else str(g) for g in groups]


def _holdout_frame(result, data, holdout_col, duration, duration_col, max_frequency):
    _check_model(result)
    if max_frequency < 1:
        raise InputError(f"max_frequency must be >= 1, got {max_frequency!r}.")
    check_columns(data, [holdout_col] + ([] if duration is not None else [duration_col]))
    actual = column(data, holdout_col)
    t = duration if duration is not None else column(data, duration_col)
    predicted = result.expected_purchases(t, data).to_numpy()
    x, _, _ = result._history(data)
    group = np.minimum(x, max_frequency).astype(np.int64)
    return pd.DataFrame({"group": group, "actual": actual, "predicted": predicted})


def holdout_comparison(result, data: pd.DataFrame, *, holdout_col: str = "frequency_holdout",
                       duration: float | None = None, duration_col: str = "duration_holdout",
                       max_frequency: int = 7) -> pd.DataFrame:
    """Mean predicted versus actual holdout purchases, by calibration frequency.

    Parameters
    ----------
    result : BetaGeoResults or ParetoNBDResults
        Model fitted on the calibration columns of ``data``.
    data : pandas.DataFrame
        Calibration summary plus the holdout purchases per customer.
    holdout_col : str
        Column with the number of repeat purchases in the holdout period.
    duration : float, optional
        Holdout length in the model's time unit; if omitted, ``duration_col`` gives it per customer.
    duration_col : str
        Column with the holdout length per customer.
    max_frequency : int
        Calibration frequencies at or above this are pooled (label ``"7+"``).

    Returns
    -------
    pandas.DataFrame
        ``frequency`` (group), ``label``, ``n_customers``, ``actual`` and ``predicted`` (means per
        customer) and ``error`` (predicted - actual).
    """
    frame = _holdout_frame(result, data, holdout_col, duration, duration_col, max_frequency)
    out = frame.groupby("group").agg(n_customers=("actual", "size"), actual=("actual", "mean"),
                                     predicted=("predicted", "mean"))
    out = out.reindex(range(max_frequency + 1)).rename_axis("frequency").reset_index()
    out["n_customers"] = out["n_customers"].fillna(0).astype(np.int64)
    out.insert(1, "label", _labels(out["frequency"], max_frequency))
    out["error"] = out["predicted"] - out["actual"]
    return out


def holdout_metrics(result, data: pd.DataFrame, *, holdout_col: str = "frequency_holdout",
                    duration: float | None = None, duration_col: str = "duration_holdout",
                    max_frequency: int = 7) -> pd.DataFrame:
    """Error metrics of the holdout predictions, per customer and per frequency group.

    Same arguments as :func:`holdout_comparison`.

    Returns
    -------
    pandas.DataFrame
        Index ``level`` in {``"customer"``, ``"frequency_group"``}; columns ``n`` (customers or
        non-empty groups), ``mae``, ``rmse``, ``bias`` (mean of predicted - actual), and the totals
        ``actual_total`` and ``predicted_total`` over all customers.  Group-level errors compare the
        group means, unweighted across groups.
    """
    frame = _holdout_frame(result, data, holdout_col, duration, duration_col, max_frequency)
    groups = frame.groupby("group")[["actual", "predicted"]].mean()
    rows = {}
    for level, table in (("customer", frame), ("frequency_group", groups)):
        err = table["predicted"].to_numpy() - table["actual"].to_numpy()
        rows[level] = {"n": len(table), "mae": np.mean(np.abs(err)), "rmse": np.sqrt(np.mean(err**2)),
                       "bias": np.mean(err), "actual_total": frame["actual"].sum(),
                       "predicted_total": frame["predicted"].sum()}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("level")


def period_transaction_histogram(result, data: pd.DataFrame, *, max_frequency: int = 7) -> pd.DataFrame:
    """Customers by number of repeat purchases in calibration: observed versus expected.

    The expected count for ``k`` repeat purchases is ``sum_i P(X(T_i) = k)`` over customers (each
    with their own observation length ``T_i``), computed once per distinct ``T``; the last group
    pools ``max_frequency`` and more.

    Returns
    -------
    pandas.DataFrame
        ``frequency``, ``label``, ``actual`` and ``expected`` (numbers of customers).
    """
    _check_model(result)
    x, _, T = result._history(data)
    pat = compress([T])
    (uT,) = pat.values
    k = np.arange(max_frequency)
    probs = result.prob_n_purchases(k[:, None], uT[None, :])  # (k, distinct T)
    expected = np.asarray(probs).reshape(len(k), len(uT)) @ pat.weight
    expected = np.append(expected, len(x) - expected.sum())
    actual = np.bincount(np.minimum(x, max_frequency).astype(np.int64), minlength=max_frequency + 1)
    groups = np.arange(max_frequency + 1)
    return pd.DataFrame({"frequency": groups, "label": _labels(groups, max_frequency),
                         "actual": actual, "expected": expected})


def frequency_recency_matrix(result, *, T: float, t: float = 1.0, max_frequency: int = 20,
                             n_recency: int = 20) -> pd.DataFrame:
    """Expected purchases in the next ``t`` and P(alive) over a grid of histories, in long form.

    Parameters
    ----------
    result : BetaGeoResults or ParetoNBDResults
    T : float
        Observation length shared by the hypothetical customers.
    t : float
        Prediction period for ``expected_purchases``.
    max_frequency : int
        Frequencies 0..max_frequency.
    n_recency : int
        Recency values ``T/n, 2T/n, ..., T`` for repeat buyers (customers with frequency 0 have
        recency 0 by convention).

    Returns
    -------
    pandas.DataFrame
        ``frequency``, ``recency``, ``T``, ``expected_purchases``, ``prob_alive``; pivot it for a
        heat map.
    """
    _check_model(result)
    if not T > 0:
        raise InputError(f"T must be positive, got {T!r}.")
    rec = np.arange(1, n_recency + 1) * (T / n_recency)
    freq = np.arange(1, max_frequency + 1)
    f_grid, r_grid = np.meshgrid(freq, rec, indexing="ij")
    c = result.columns
    grid = pd.DataFrame({c["frequency"]: np.concatenate([[0], f_grid.ravel()]),
                         c["recency"]: np.concatenate([[0.0], r_grid.ravel()]),
                         c["T"]: float(T)})
    out = pd.DataFrame({"frequency": grid[c["frequency"]], "recency": grid[c["recency"]], "T": float(T),
                        "expected_purchases": result.expected_purchases(t, grid).to_numpy(),
                        "prob_alive": result.prob_alive(grid).to_numpy()})
    return out


def expected_cumulative_purchases(result, data: pd.DataFrame, times) -> pd.DataFrame:
    """Expected cumulative repeat purchases of the observed customers over calendar time.

    Parameters
    ----------
    result : BetaGeoResults or ParetoNBDResults
    data : pandas.DataFrame
        Calibration summary; each customer's first purchase was ``T`` before the calibration end.
    times : array_like
        Times relative to the calibration end, in the model's time unit (negative = inside the
        calibration period, positive = holdout).

    Returns
    -------
    pandas.DataFrame
        ``time`` and ``expected`` = ``sum_i E[X(T_i + time)]`` over customers with ``T_i + time > 0``
        (the new-customer expectation, not conditioned on the history: this is the tracking curve
        compared with actual cumulative purchases).
    """
    _check_model(result)
    _, _, T = result._history(data)
    times = np.asarray(times, dtype=float).ravel()
    pat = compress([T])
    (uT,) = pat.values
    age = np.maximum(uT[None, :] + times[:, None], 0.0)
    expected = result.expected_purchases_new_customer(age.ravel()).reshape(age.shape) @ pat.weight
    return pd.DataFrame({"time": times, "expected": expected})
