"""RFM: recency, frequency and monetary quintile scores, named segments and their migration.

Scores.  Each of R, F and M is a quintile score 1..5 computed from ranks over the scored customers:
``score = floor(5 * (rank - 1) / n) + 1`` with ``rank`` the *minimum* rank of a value (1 = worst).
Equal values therefore always get equal scores (deterministic, order independent): a tied block
takes the score of its lowest position, so with many one-time buyers every one of them has F = 1
and some scores may be unused.  Higher is better: R is high for a *recent* last purchase.

Segments.  :data:`RFM_SEGMENT_RULES` is a precedence table: each row is a segment with inclusive
ranges of R, F and M; a customer gets the segment of the *first* row that matches.  Every one of
the 125 score combinations matches at least one row (checked when rules are used).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from retailkit._logs import (
    check_period,
    customer_groups,
    day_to_timestamp,
    last_complete_period,
    period_first_day,
    period_labels,
    period_numbers,
    prepare_grouped_log,
    prepare_log,
    report_left_out,
    require_columns,
    unique_pairs,
)
from retailkit.errors import InputError

__all__ = [
    "RFM_SEGMENT_RULES",
    "NOT_YET_ACQUIRED",
    "rfm_scores",
    "rfm_segments",
    "segment_summary",
    "segment_migration",
    "migration_matrix",
]

_RULES = [
    # segment, R range, F range, M range, description
    ("champions", 4, 5, 4, 5, 4, 5, "bought recently, buy often and spend the most"),
    ("loyal", 3, 5, 4, 5, 1, 5, "buy often and not long ago"),
    ("potential loyalist", 4, 5, 2, 3, 1, 5, "recent customers with a few purchases"),
    ("new", 5, 5, 1, 1, 1, 5, "first purchase, very recent"),
    ("promising", 4, 4, 1, 1, 1, 5, "first purchase, recent"),
    ("need attention", 3, 3, 2, 3, 3, 5, "middling recency and frequency, good spend"),
    ("about to sleep", 3, 3, 1, 3, 1, 5, "middling recency, few purchases"),
    ("cannot lose", 1, 2, 4, 5, 4, 5, "bought often and spent the most, but not for a long time"),
    ("at risk", 1, 2, 3, 5, 1, 5, "bought often, but not for a long time"),
    ("hibernating", 2, 2, 1, 2, 1, 5, "few purchases, long ago"),
    ("lost", 1, 1, 1, 2, 1, 5, "few purchases, longest ago"),
]
#: Segment precedence table: the first row whose inclusive R, F and M ranges match wins.
RFM_SEGMENT_RULES = pd.DataFrame(
    _RULES, columns=["segment", "r_min", "r_max", "f_min", "f_max", "m_min", "m_max", "description"]
)
#: The state of a customer in :func:`segment_migration` before their first purchase.
NOT_YET_ACQUIRED = "not yet acquired"

_SCORE_COLS = ("R", "F", "M")


def _quintiles(values: np.ndarray) -> np.ndarray:
    """Score 1..5 from minimum ranks (ties share the score of their lowest position)."""
    n = len(values)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    rank = pd.Series(values).rank(method="min").to_numpy()
    return (np.floor(5 * (rank - 1) / n) + 1).astype(np.int64)


def _score_frame(index, since_last, purchase_days, monetary) -> pd.DataFrame:
    out = pd.DataFrame({"since_last": since_last, "purchase_days": purchase_days, "monetary": monetary}, index=index)
    out["R"] = _quintiles(-np.asarray(since_last, dtype=float))
    out["F"] = _quintiles(np.asarray(purchase_days, dtype=float))
    out["M"] = _quintiles(np.asarray(monetary, dtype=float))
    return out


def rfm_scores(
    data: pd.DataFrame,
    *,
    customer_col: str = "customer_id",
    datetime_col: str = "order_date",
    monetary_col: str = "amount",
    observation_end=None,
) -> pd.DataFrame:
    """R, F and M quintile scores (1..5, higher is better) per customer.

    Parameters
    ----------
    data : pandas.DataFrame
        A transaction log (one row per purchase), or a summary from :func:`retailkit.rfm_summary`
        (recognised by its frequency, recency, T and monetary_value columns).
    customer_col, datetime_col, monetary_col : str
        Columns of a transaction log.
    observation_end : date-like, optional
        Day at which recency is measured (inclusive); default the last date in the log.  Rows
        after it are left out and counted in ``attrs``.  Ignored for a summary.

    Returns
    -------
    pandas.DataFrame
        Indexed by customer: ``since_last`` (days from the last purchase day to observation_end;
        for a summary ``T - recency`` in its time unit), ``purchase_days`` (distinct purchase days;
        ``frequency + 1`` for a summary), ``monetary`` (total spend; for a summary the mean spend
        per repeat purchase day, ``monetary_value``, 0 for one-time buyers), and scores ``R``,
        ``F``, ``M``.
    """
    func = "rfm_scores"
    if isinstance(data, pd.DataFrame) and {"frequency", "recency", "T"} <= set(data.columns):
        require_columns(data, {"monetary_value": "monetary_value"}, func, table="summary")
        out = _score_frame(
            data.index, (data["T"] - data["recency"]).to_numpy(), data["frequency"].to_numpy() + 1,
            data["monetary_value"].to_numpy(),
        )
        out.attrs = dict(data.attrs)
        return out
    log = prepare_log(data, func, customer_col, datetime_col, monetary_col, observation_end)
    since_last, purchase_days, monetary = _rfm_values(log.codes, log.days, log.amounts, log.n, log.end_day)
    out = _score_frame(log.customers, since_last, purchase_days, monetary)
    return report_left_out(out, func, log)


def _rfm_values(codes, days, amounts, n, end_day):
    last = np.full(n, np.iinfo(np.int64).min)
    np.maximum.at(last, codes, days)
    purchase_days = np.bincount(unique_pairs(codes, days)[0], minlength=n)
    return end_day - last, purchase_days, np.bincount(codes, weights=amounts, minlength=n)


def _lookup(rules: pd.DataFrame, func: str) -> tuple[np.ndarray, list]:
    """(5, 5, 5) array: index of the segment of every (R, F, M), by first matching rule."""
    cols = ["segment", "r_min", "r_max", "f_min", "f_max", "m_min", "m_max"]
    require_columns(rules, {c: c for c in cols}, func, table="rules")
    names = list(pd.unique(rules["segment"]))
    table = np.full((5, 5, 5), -1)
    s = np.arange(1, 6)
    for row in rules.itertuples(index=False):  # one pass per rule, not per customer
        match = (
            ((s >= row.r_min) & (s <= row.r_max))[:, None, None]
            & ((s >= row.f_min) & (s <= row.f_max))[None, :, None]
            & ((s >= row.m_min) & (s <= row.m_max))[None, None, :]
        )
        table[match & (table < 0)] = names.index(row.segment)
    missing = np.argwhere(table < 0) + 1
    if len(missing):
        combos = ", ".join("RFM=" + "".join(map(str, c)) for c in missing[:5])
        raise InputError(
            f"{func}: the rules leave {len(missing)} of the 125 score combinations without a segment "
            f"({combos}{', ...' if len(missing) > 5 else ''}). Add a last catch-all rule (ranges 1..5)."
        )
    return table, names


def rfm_segments(scores: pd.DataFrame, *, rules: pd.DataFrame | None = None) -> pd.DataFrame:
    """Add a ``segment`` column (categorical, in rule order) to :func:`rfm_scores` output.

    Parameters
    ----------
    scores : pandas.DataFrame
        Columns ``R``, ``F``, ``M`` with whole scores 1..5.
    rules : pandas.DataFrame, optional
        A precedence table like :data:`RFM_SEGMENT_RULES` (the default): columns segment, r_min,
        r_max, f_min, f_max, m_min, m_max.  The first matching row wins; the rules must cover all
        125 combinations.

    Returns
    -------
    pandas.DataFrame
        A copy of ``scores`` with ``segment``.
    """
    func = "rfm_segments"
    table, names = _lookup(RFM_SEGMENT_RULES if rules is None else rules, func)
    require_columns(scores, {c: c for c in _SCORE_COLS}, func, table="scores")
    idx = []
    for col in _SCORE_COLS:
        v = scores[col].to_numpy(dtype="float64", na_value=np.nan)
        bad = ~np.isin(v, np.arange(1, 6))
        if bad.any():
            raise InputError(
                f"{func}: column {col!r} must hold whole scores 1..5; rows "
                f"{list(scores.index[bad][:5])} do not. Compute scores with rk.rfm_scores."
            )
        idx.append(v.astype(np.int64) - 1)
    out = scores.copy()
    out["segment"] = pd.Categorical.from_codes(table[idx[0], idx[1], idx[2]], categories=names)
    return out


def segment_summary(segments: pd.DataFrame) -> pd.DataFrame:
    """Size and value of each segment of :func:`rfm_segments` output (empty segments included).

    Returns
    -------
    pandas.DataFrame
        Indexed by segment: ``customers``, ``customer_share``, mean ``since_last``,
        ``purchase_days`` and ``monetary``, ``monetary_total`` and ``monetary_share``.
    """
    cols = ["segment", "since_last", "purchase_days", "monetary"]
    require_columns(segments, {c: c for c in cols}, "segment_summary", table="segments")
    grouped = segments.groupby("segment", observed=False)
    out = pd.DataFrame({"customers": grouped.size()})
    out["customer_share"] = out["customers"] / out["customers"].sum()
    means = grouped[["since_last", "purchase_days", "monetary"]].mean()
    out = out.join(means)
    out["monetary_total"] = grouped["monetary"].sum()
    out["monetary_share"] = out["monetary_total"] / out["monetary_total"].sum()
    return out


def segment_migration(
    transactions: pd.DataFrame,
    *,
    period: str = "Q",
    customer_col: str = "customer_id",
    datetime_col: str = "order_date",
    monetary_col: str = "amount",
    observation_end=None,
    rules: pd.DataFrame | None = None,
    by=None,
    progress: bool | None = None,
) -> pd.DataFrame:
    """How customers move between segments from the end of one period to the end of the next.

    At the last day of every *complete* calendar period up to ``observation_end`` the customers
    acquired so far are scored (:func:`rfm_scores` on the log up to that day, so quintiles are
    relative to that day's customer base) and segmented.  Customers first seen during period
    q + 1 come from the state :data:`NOT_YET_ACQUIRED`; customers stay in the base once acquired.

    Parameters
    ----------
    transactions : pandas.DataFrame
        A transaction log.
    period : {"Q", "M", "Y", "W"}, default "Q"
        Calendar period between snapshots.
    customer_col, datetime_col, monetary_col, observation_end, rules
        As in :func:`rfm_scores` and :func:`rfm_segments`.
    by : str or list of str, optional
        Columns that describe customers (e.g. the acquisition ``channel`` merged into the log):
        the counts are split by them, each customer taking the values of their first purchase row
        (as in :func:`cohort_table`).  The scores stay relative to the *whole* customer base, so
        the groups' rows add up to the table without ``by``; to score each group against itself,
        call the function on each group's transactions instead.
    progress : bool, optional
        Show a progress bar over the snapshots.  Default: only for logs of 2 million rows or
        more (a few seconds of work); smaller logs take well under a second.

    Returns
    -------
    pandas.DataFrame
        Long table with every combination: the ``by`` columns (if any), ``from_period``,
        ``to_period`` (pandas Periods), ``from_segment``, ``to_segment``, ``customers`` and
        ``share`` (of the from-state's customers in the group, NaN when that state is empty).
        Use :func:`migration_matrix` for a matrix (of one group: filter the rows first).
    """
    func = "segment_migration"
    check_period(period, func)
    table, names = _lookup(RFM_SEGMENT_RULES if rules is None else rules, func)
    log, by_cols, first = prepare_grouped_log(transactions, func, by, customer_col, datetime_col, monetary_col,
                                              observation_end)
    group, groups = customer_groups(transactions, log, by_cols, first)
    n_g = len(groups)
    first_p = int(period_numbers(np.array([log.days.min()]), period)[0])
    periods = np.arange(first_p, last_complete_period(log.end_day, period) + 1)
    if len(periods) < 2:
        raise InputError(
            f"{func}: needs at least two complete {period} periods up to observation_end "
            f"{day_to_timestamp(log.end_day).date()}; the data has {len(periods)}. Use a shorter period."
        )
    pair_codes, pair_days = unique_pairs(log.codes, log.days)  # one sort for all snapshots
    states = []
    show = len(log.days) >= 2_000_000 if progress is None else progress
    from tqdm.auto import tqdm  # imported here: tqdm.auto probes the notebook front end when imported

    for p in tqdm(periods, desc=func, unit="snapshot", disable=not show):  # vectorised over customers
        end = int(period_first_day(p + 1, period)) - 1
        rows, pairs = log.days <= end, pair_days <= end
        last = np.full(log.n, np.iinfo(np.int64).min)
        np.maximum.at(last, pair_codes[pairs], pair_days[pairs])
        since, pdays = end - last, np.bincount(pair_codes[pairs], minlength=log.n)
        money = np.bincount(log.codes[rows], weights=log.amounts[rows], minlength=log.n)
        seen = pdays > 0
        state = np.full(log.n, -1)
        r, f, m = (_quintiles(np.asarray(x, dtype=float)[seen]) - 1 for x in (-since, pdays, money))
        state[seen] = table[r, f, m]
        states.append(state)
    n_s = len(names)
    cells = (n_s + 1) * n_s  # (from state incl. not yet acquired) x (to state), per group
    gi, rest = np.divmod(np.arange(n_g * cells), cells)
    fi, ti = np.divmod(rest, n_s)
    frames = []
    for i in range(len(periods) - 1):
        a, b = states[i], states[i + 1]
        moved = b >= 0
        key = (group[moved] * (n_s + 1) + a[moved] + 1) * n_s + b[moved]
        counts = np.bincount(key, minlength=n_g * cells)
        totals = counts.reshape(n_g * (n_s + 1), n_s).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = counts / totals[gi * (n_s + 1) + fi]
        frame = groups.iloc[gi].reset_index(drop=True) if by_cols else pd.DataFrame(index=range(len(gi)))
        frames.append(frame.assign(
            from_period=period_labels(np.full(len(fi), periods[i]), period),
            to_period=period_labels(np.full(len(fi), periods[i + 1]), period),
            from_segment=pd.Categorical.from_codes(fi, categories=[NOT_YET_ACQUIRED, *names]),
            to_segment=pd.Categorical.from_codes(ti, categories=names),
            customers=counts,
            share=share,
        ))
    out = pd.concat(frames, ignore_index=True)
    return report_left_out(out, func, log, period=period, by=by_cols)


def migration_matrix(migration: pd.DataFrame, *, from_period=None, normalize: bool = True) -> pd.DataFrame:
    """From-segment x to-segment matrix of :func:`segment_migration` output.

    Parameters
    ----------
    migration : pandas.DataFrame
        Output of :func:`segment_migration`.
    from_period : period-like, optional
        Only the transition starting at this period (e.g. ``"2024Q1"``); default: all transitions
        pooled (counts summed).
    normalize : bool, default True
        Row shares (each from-state sums to 1; NaN for empty states) instead of counts.
    """
    cols = ["from_period", "from_segment", "to_segment", "customers"]
    require_columns(migration, {c: c for c in cols}, "migration_matrix", table="migration")
    if from_period is not None:
        wanted = pd.Period(from_period, freq=migration["from_period"].dt.freq)
        keep = (migration["from_period"] == wanted).to_numpy()
        if not keep.any():
            raise InputError(
                f"migration_matrix: from_period {from_period!r} is not in the table; it has "
                f"{sorted(migration['from_period'].astype(str).unique())[:8]}."
            )
        migration = migration[keep]
    counts = migration.pivot_table(
        index="from_segment", columns="to_segment", values="customers", aggfunc="sum", observed=False
    )
    if not normalize:
        return counts
    return counts.div(counts.sum(axis=1).replace(0, np.nan), axis=0)
