"""Kaplan-Meier curves, median survival and log-rank tests (statsmodels underneath), as tidy tables."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.duration.survfunc import SurvfuncRight, survdiff

from retailkit.errors import InputError
from retailkit.survival._checks import as_list, check_frame, durations, events, group_codes, group_name

__all__ = ["kaplan_meier", "median_survival", "survival_at", "logrank_test", "LogrankResult"]

_KM_COLUMNS = ["time", "at_risk", "events", "survival", "std_err", "ci_lower", "ci_upper"]


def _columns(duration_col, event_col, by) -> dict:
    cols = {"duration_col": duration_col, "event_col": event_col}
    cols.update({f"by[{i}]" if len(by) > 1 else "by": c for i, c in enumerate(by)})
    return cols


def _loglog_band(surv: np.ndarray, se: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise log-log interval ``S ** exp(-+ z * se / (S |log S|))`` (stays inside [0, 1])."""
    with np.errstate(divide="ignore", invalid="ignore"):
        sd = se / (surv * np.abs(np.log(surv)))
        lower = surv ** np.exp(z * sd)
        upper = surv ** np.exp(-z * sd)
    undefined = ~((surv > 0) & (surv < 1) & np.isfinite(sd))
    lower[undefined] = np.nan
    upper[undefined] = np.nan
    return lower, upper


def _fit_groups(data, duration_col, event_col, by, func):
    by = as_list(by)
    check_frame(data, func, _columns(duration_col, event_col, by))
    t = durations(data, duration_col, func)
    e = events(data, event_col, func)
    codes, labels = group_codes(data, by, func)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(labels) + 1))
    fits, empty = [], []
    for g in range(len(labels)):
        rows = order[bounds[g]:bounds[g + 1]]
        tg, eg = t[rows], e[rows]
        if not eg.any():
            empty.append(g)
            continue
        fits.append((g, SurvfuncRight(tg, eg), len(rows), float(tg.max())))
    if empty:
        names = "; ".join(group_name(labels, g) if by else "all rows" for g in empty[:5])
        raise InputError(
            f"{func}: no events (every {event_col!r} is 0/False) in {len(empty)} group(s): {names}. "
            "A Kaplan-Meier curve without events stays at 1 with no interval and no median, which usually "
            f"means the event column is miscoded. Check {event_col!r}, or leave those groups out first."
        )
    return by, labels, fits


def _median_row(sf: SurvfuncRight, alpha: float) -> tuple[float, float, float]:
    median = float(sf.quantile(0.5))
    with np.errstate(divide="ignore", invalid="ignore"):  # log(0) where the curve reaches 0: no test there
        lo, hi = sf.quantile_ci(0.5, alpha=alpha, method="cloglog")
    return median, float(lo), float(hi)


def kaplan_meier(data: pd.DataFrame, *, duration_col: str = "duration", event_col: str = "event", by=None,
                 alpha: float = 0.05) -> pd.DataFrame:
    """Kaplan-Meier survival curves with pointwise intervals, overall or by group.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per subject (customer, membership) with a duration and an event indicator, e.g. the
        output of :func:`time_to_second_purchase` or :func:`membership_lifetimes`.
    duration_col : str, default "duration"
        Time from the start to the event or to censoring (numbers >= 0, any unit).
    event_col : str, default "event"
        1/True when the event was observed at that time, 0/False when the subject was censored.
    by : str or list of str, optional
        Group column(s); one curve per combination (groups sorted).
    alpha : float, default 0.05
        The intervals have nominal pointwise coverage ``1 - alpha``.

    Returns
    -------
    pandas.DataFrame
        One row per group and distinct event time: the ``by`` columns, then ``time``, ``at_risk``
        (subjects with duration >= time), ``events`` (events at that time), ``survival`` (the
        Kaplan-Meier estimate just after ``time``), ``std_err`` (Greenwood's formula), ``ci_lower``
        and ``ci_upper`` (log-log interval, NaN where the estimate is 0).  The curve is 1 before
        the first row of its group and stays at its last value up to the group's longest
        follow-up.  ``attrs`` holds ``median`` (the rows of :func:`median_survival` as a list of
        dicts; ``pd.DataFrame(km.attrs["median"])`` makes it a table again), ``by``,
        ``alpha``, ``duration_col``, ``event_col``, ``time_unit`` (copied from ``data.attrs`` when
        there), ``ci_method`` and ``rows_left_out`` (empty: nothing is left out, bad rows raise).

    Raises
    ------
    SchemaError
        A named column is missing.
    InputError
        Negative, missing or non-numeric durations (times < 0), an event column that is not
        binary, missing group labels, or a group with no events (its curve would be flat at 1 with
        no interval or median; the message names the group).

    Notes
    -----
    Estimates, standard errors, the median (``SurvfuncRight.quantile``: the first event time at
    which the curve drops *below* one half) and its interval (``quantile_ci``, inverting the
    log-log test) come from ``statsmodels.duration.survfunc.SurvfuncRight``.  The pointwise band
    uses the same log-log transformation, ``S ** exp(+-z se / (S |log S|))``, as R's
    ``survfit(conf.type = "log-log")``.

    Examples
    --------
    >>> km = rk.survival.kaplan_meier(time_to_second, by="channel")
    >>> pd.DataFrame(km.attrs["median"])  # doctest: +SKIP
    """
    func = "kaplan_meier"
    if not 0 < alpha < 1:
        raise InputError(f"{func}: alpha must be between 0 and 1, got {alpha!r}.")
    by, labels, fits = _fit_groups(data, duration_col, event_col, by, func)
    z = stats.norm.ppf(1 - alpha / 2)
    parts, medians = [], []
    for g, sf, n, max_time in fits:
        lower, upper = _loglog_band(sf.surv_prob, sf.surv_prob_se, z)
        part = pd.DataFrame({
            "time": sf.surv_times, "at_risk": sf.n_risk.astype(np.int64), "events": sf.n_events.astype(np.int64),
            "survival": sf.surv_prob, "std_err": sf.surv_prob_se, "ci_lower": lower, "ci_upper": upper,
        })
        for col in by:
            part.insert(by.index(col), col, labels[col].iloc[g])
        parts.append(part)
        medians.append((g, n, int(sf.n_events.sum()), max_time, *_median_row(sf, alpha)))
    out = pd.concat(parts, ignore_index=True)
    for col in by:  # keep the group columns' dtypes (categories, strings) as in the data
        out[col] = out[col].astype(data[col].dtype)
    med = _median_frame(labels, by, medians, data)
    out.attrs.update(  # plain records, not a DataFrame: pandas compares attrs when combining frames
        median=_records(med), by=by, alpha=alpha, duration_col=duration_col, event_col=event_col,
        time_unit=data.attrs.get("time_unit"), ci_method="log-log", rows_left_out={},
    )
    return out


def _median_frame(labels, by, medians, data) -> pd.DataFrame:
    rows = pd.DataFrame(medians, columns=["_g", "n", "events", "max_time", "median", "ci_lower", "ci_upper"])
    med = pd.concat([labels.iloc[rows["_g"]].reset_index(drop=True), rows.drop(columns="_g")], axis=1)
    for col in by:
        med[col] = med[col].astype(data[col].dtype)
    return med


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows as dicts of plain Python values (safe inside ``DataFrame.attrs``)."""
    return [{k: (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}
            for row in frame.to_dict("records")]


def median_survival(data: pd.DataFrame, *, duration_col: str = "duration", event_col: str = "event", by=None,
                    alpha: float = 0.05) -> pd.DataFrame:
    """Median survival time with its confidence interval, overall or by group.

    Parameters
    ----------
    data, duration_col, event_col, by, alpha
        As in :func:`kaplan_meier`.

    Returns
    -------
    pandas.DataFrame
        One row per group: the ``by`` columns, ``n`` (subjects), ``events``, ``max_time`` (longest
        follow-up), ``median`` (NaN when the curve never drops below one half: more than half are
        still event-free at the end of follow-up), ``ci_lower`` and ``ci_upper`` (``inf`` when the
        upper limit lies beyond the data).

    Raises
    ------
    SchemaError, InputError
        As :func:`kaplan_meier`.
    """
    func = "median_survival"
    if not 0 < alpha < 1:
        raise InputError(f"{func}: alpha must be between 0 and 1, got {alpha!r}.")
    by, labels, fits = _fit_groups(data, duration_col, event_col, by, func)
    medians = [(g, n, int(sf.n_events.sum()), mt, *_median_row(sf, alpha)) for g, sf, n, mt in fits]
    return _median_frame(labels, by, medians, data)


def survival_at(km_table: pd.DataFrame, times) -> pd.DataFrame:
    """Read a Kaplan-Meier table at given times (the step function, with its interval).

    Parameters
    ----------
    km_table : pandas.DataFrame
        Output of :func:`kaplan_meier`.
    times : float or array_like
        Times at which to read each curve.

    Returns
    -------
    pandas.DataFrame
        One row per group and time: the ``by`` columns, ``time``, ``survival``, ``ci_lower``,
        ``ci_upper``.  Before a group's first event the estimate is 1 (interval 1 to 1); after its
        longest follow-up it is NaN (not observed).
    """
    func = "survival_at"
    if not isinstance(km_table, pd.DataFrame) or "median" not in km_table.attrs:
        raise InputError(f"{func}: expected the output of kaplan_meier (a DataFrame with attrs['median']).")
    times = np.atleast_1d(np.asarray(times, dtype=float))
    by = km_table.attrs["by"]
    med = pd.DataFrame(km_table.attrs["median"])
    if by:
        keys = pd.MultiIndex.from_frame(km_table[by]) if len(by) > 1 else pd.Index(km_table[by[0]])
        codes, uniques = pd.factorize(keys)
    else:
        codes, uniques = np.zeros(len(km_table), dtype=np.int64), [None]
    parts = []
    for g in range(len(uniques)):
        rows = km_table[codes == g]
        idx = np.searchsorted(rows["time"].to_numpy(), times, side="right") - 1
        vals = {}
        for col in ("survival", "ci_lower", "ci_upper"):
            v = np.r_[1.0, rows[col].to_numpy()][idx + 1]
            vals[col] = v
        beyond = times > med["max_time"].iloc[g]  # groups are in the same (sorted) order in both
        part = pd.DataFrame({"time": times, **{k: np.where(beyond, np.nan, v) for k, v in vals.items()}})
        for col in reversed(by):
            part.insert(0, col, rows[col].iloc[0])
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    for col in by:
        out[col] = out[col].astype(km_table[col].dtype)
    return out


@dataclass(frozen=True)
class LogrankResult:
    """Result of :func:`logrank_test` (immutable).

    Attributes
    ----------
    statistic : float
        Chi-square statistic ``(O - E)' V^-1 (O - E)`` over the groups but the first.
    df : int
        Degrees of freedom (number of groups - 1).
    p_value : float
        Upper tail of the chi-square distribution with ``df`` degrees of freedom.
    table : pandas.DataFrame
        One row per group: the group column, ``n``, ``observed`` events, ``expected`` events under
        equal hazards, ``observed_minus_expected`` and ``observed_over_expected``.
    group_col : str
        The group column.
    """

    statistic: float
    df: int
    p_value: float
    table: pd.DataFrame
    group_col: str

    def to_series(self) -> pd.Series:
        """``statistic``, ``df`` and ``p_value`` as a Series."""
        return pd.Series({"statistic": self.statistic, "df": self.df, "p_value": self.p_value}, name="logrank")

    def summary(self) -> str:
        """A short text report: the test and the observed/expected table."""
        head = (f"Log-rank test of equal survival across {self.group_col!r} ({self.df + 1} groups)\n"
                f"chi2 = {self.statistic:.4f}, df = {self.df}, p = {self.p_value:.4g}\n")
        return head + self.table.to_string(index=False)

    def __str__(self) -> str:
        return self.summary()


def logrank_test(data: pd.DataFrame, *, duration_col: str = "duration", event_col: str = "event",
                 group_col: str = "group") -> LogrankResult:
    """Log-rank test that two or more groups share one survival function.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per subject.
    duration_col, event_col : str
        As in :func:`kaplan_meier`.
    group_col : str, default "group"
        The group column (two or more distinct values).

    Returns
    -------
    LogrankResult
        ``statistic``, ``df``, ``p_value`` and the observed/expected ``table``.

    Raises
    ------
    SchemaError
        A named column is missing.
    InputError
        Bad durations or events (as :func:`kaplan_meier`), missing group labels, fewer than two
        groups, or no events at all.

    Notes
    -----
    The statistic and p-value come from ``statsmodels.duration.survfunc.survdiff``; observed and
    expected counts per group are computed here with the same risk sets
    (``E_g = sum over event times of d_t * n_gt / n_t``).  A group *with* subjects but *without*
    events is allowed: it is the strongest evidence of a difference (its observed count 0 against
    a positive expected count), not an estimation failure.  With two groups the statistic equals
    the square of ``scipy.stats.logrank``'s.
    """
    func = "logrank_test"
    check_frame(data, func, {"duration_col": duration_col, "event_col": event_col, "group_col": group_col})
    t = durations(data, duration_col, func)
    e = events(data, event_col, func)
    codes, labels = group_codes(data, [group_col], func)
    k = len(labels)
    if k < 2:
        raise InputError(
            f"{func}: {group_col!r} has a single value ({labels[group_col].iloc[0]!r}); a log-rank test "
            "compares two or more groups."
        )
    if not e.any():
        raise InputError(
            f"{func}: no events at all (every {event_col!r} is 0/False), so the groups cannot be compared. "
            f"Check {event_col!r}."
        )
    utimes, rank = np.unique(t, return_inverse=True)
    m = len(utimes)
    d = np.bincount(rank, weights=e, minlength=m)
    at = np.bincount(rank * k + codes, minlength=m * k).reshape(m, k)
    risk_g = np.cumsum(at[::-1], axis=0)[::-1]  # subjects of each group with duration >= time
    risk = risk_g.sum(axis=1)
    expected = (d[:, None] * risk_g / risk[:, None]).sum(axis=0)
    observed = np.bincount(codes, weights=e, minlength=k)
    chisq, _ = survdiff(t, e, codes)
    p = stats.chi2.sf(chisq, k - 1)  # survdiff's 1 - cdf rounds tiny p-values to 0
    table = labels.copy()
    table[group_col] = table[group_col].astype(data[group_col].dtype)
    table["n"] = np.bincount(codes, minlength=k)
    table["observed"] = observed.astype(np.int64)
    table["expected"] = expected
    table["observed_minus_expected"] = observed - expected
    table["observed_over_expected"] = observed / expected
    return LogrankResult(statistic=float(chisq), df=k - 1, p_value=float(p), table=table, group_col=group_col)
