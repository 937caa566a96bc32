"""Course plots.  Each takes the tidy output of a metrics function and returns the Axes it drew on.

Every plot is titled, labels its axes with units and colours scenarios and channels with the
course colours (:mod:`retailkit.theme`), so a figure means the same thing in every chapter.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, PercentFormatter

from retailkit.errors import InputError
from retailkit.theme import color_for

__all__ = [
    "cohort_heatmap",
    "retention_curves",
    "funnel",
    "gmv_decomposition",
    "new_vs_returning",
    "rfm_segment_map",
    "payback_curves",
    "holdout_comparison",
    "period_histogram",
    "tracking",
    "frequency_recency_heatmap",
    "money_axis",
]


def _axes(ax, figsize=None):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def _need(df, cols, func):
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise InputError(f"plots.{func}: the data lacks column(s) {missing}; it has {list(df.columns)}")


def money_axis(ax, axis: str = "y", currency: str = "$") -> None:
    """Format an axis as money with thousands (k) or millions (M)."""
    def fmt(x, _pos):
        sign, x = ("-" if x < 0 else ""), abs(x)
        for div, suffix in ((1e6, "M"), (1e3, "k")):
            if x >= div:
                return f"{sign}{currency}{x / div:,.1f}{suffix}"
        return f"{sign}{currency}{x:,.2f}" if x < 10 and x != int(x) else f"{sign}{currency}{x:,.0f}"
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(FuncFormatter(fmt))


def _period_str(values) -> list[str]:
    return [str(v) for v in values]


def cohort_heatmap(table: pd.DataFrame, *, ax=None, title: str | None = None, percent: bool | None = None,
                   max_periods: int | None = None, annotate: bool = True, vmax: float | None = None):
    """Heatmap of a tidy cohort table (:func:`retailkit.cohort_table`): cohorts down, periods since
    acquisition across.  Cells not yet observable are NaN and stay blank.  Pass the same ``vmax`` to
    two heatmaps to compare their shades (by default each scales to its own largest value)."""
    _need(table, ["cohort", "period_number", "value"], "cohort_heatmap")
    grid = table.pivot_table(index="cohort", columns="period_number", values="value", aggfunc="first", dropna=False)
    if max_periods is not None:
        grid = grid.loc[:, grid.columns <= max_periods]
    metric = table.attrs.get("metric", "retention")
    percent = metric == "retention" if percent is None else percent
    ax = _axes(ax, figsize=(10, 0.28 * len(grid) + 1.5))
    data = grid.to_numpy(dtype=float)
    shown = np.where(grid.columns.to_numpy()[None, :] == 0, np.nan, data) if percent else data
    if vmax is None:
        vmax = np.nanmax(shown) if np.isfinite(shown).any() else 1.0
    im = ax.imshow(np.ma.masked_invalid(shown), aspect="auto", cmap="Blues", vmin=0, vmax=vmax)
    if annotate and grid.size <= 900:
        for (i, j), v in np.ndenumerate(data):
            if np.isfinite(v):
                text = f"{v:.0%}" if percent else f"{v:,.0f}"
                ax.text(j, i, text, ha="center", va="center", fontsize=6,
                        color="white" if np.isfinite(shown[i, j]) and shown[i, j] > 0.6 * vmax else "black")
    ax.set_yticks(range(len(grid)), _period_str(grid.index))
    step = max(1, len(grid.columns) // 12)
    ax.set_xticks(range(0, len(grid.columns), step), [str(c) for c in grid.columns[::step]])
    period = table.attrs.get("period", "M")
    unit = {"M": "months", "W": "weeks", "Q": "quarters", "Y": "years", "D": "days"}.get(period, "periods")
    ax.set_xlabel(f"{unit} since acquisition")
    ax.set_ylabel("acquisition cohort")
    ax.grid(False)
    label = {"retention": "share of cohort buying", "active": "active customers", "orders": "orders",
             "revenue": "revenue"}.get(metric, metric)
    cbar = ax.figure.colorbar(im, ax=ax, fraction=0.03, pad=0.02)
    cbar.set_label(label)
    if percent:
        cbar.ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_title(title or f"Cohorts: {label} by {unit} since acquisition")
    return ax


def retention_curves(curves: pd.DataFrame, *, hue: str | None = None, ax=None, title: str | None = None,
                     max_periods: int | None = None, unit: str = "months"):
    """Retention by period since acquisition with its confidence band, one line per ``hue`` value
    (e.g. "channel" or "scenario"; the output of :func:`retailkit.retention_curve`)."""
    _need(curves, ["period_number", "retention", "ci_lower", "ci_upper"], "retention_curves")
    ax = _axes(ax)
    groups = [(None, curves)] if hue is None else list(curves.groupby(hue, observed=True, sort=True))
    for name, g in groups:
        g = g.sort_values("period_number")
        g = g[g["period_number"] > 0]
        if max_periods is not None:
            g = g[g["period_number"] <= max_periods]
        color = color_for(str(name)) if name is not None else "#0072B2"
        ax.plot(g["period_number"], g["retention"], color=color, label=str(name) if name is not None else None, lw=2)
        ax.fill_between(g["period_number"], g["ci_lower"], g["ci_upper"], color=color, alpha=0.15, lw=0)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylim(bottom=0)
    ax.set_xlabel(f"{unit} since acquisition")
    ax.set_ylabel("share of cohort buying in the period")
    ax.set_title(title or "Retention curves (95% Wilson intervals)")
    if hue is not None:
        ax.legend(title=hue)
    return ax


def funnel(table: pd.DataFrame, *, ax=None, title: str | None = None):
    """Sessions and orders per channel (log scale), labelled with conversion, from
    :func:`retailkit.funnel` with ``period=None``."""
    _need(table, ["channel", "sessions", "orders", "conversion"], "funnel")
    t = table.sort_values("sessions")
    ax = _axes(ax)
    y = np.arange(len(t))
    colors = [color_for(c) for c in t["channel"]]
    ax.barh(y + 0.2, t["sessions"], height=0.4, color=colors, alpha=0.35, label="sessions")
    ax.barh(y - 0.2, t["orders"], height=0.4, color=colors, label="orders")
    for yi, (s, conv) in enumerate(zip(t["sessions"], t["conversion"], strict=True)):
        ax.text(s * 1.08, yi + 0.2, f"conversion {conv:.1%}", va="center", fontsize=9)
    ax.set_xscale("log")
    ax.set_yticks(y, t["channel"])
    ax.set_xlabel("count (log scale)")
    ax.set_ylabel("traffic channel")
    ax.set_xlim(right=t["sessions"].max() * 12)
    ax.set_title(title or "Funnel by channel: sessions and the orders they became")
    ax.legend(handles=[Patch(color="#777777", alpha=0.35, label="sessions"), Patch(color="#777777", label="orders")],
              loc="lower right")
    return ax


def gmv_decomposition(decomp: pd.DataFrame, *, ax=None, title: str | None = None):
    """GMV, sessions, conversion and average order value indexed to 100 in the first period
    (from :func:`retailkit.gmv_decomposition`)."""
    _need(decomp, ["period", "gmv", "sessions", "conversion", "aov"], "gmv_decomposition")
    ax = _axes(ax)
    x = np.arange(len(decomp))
    styles = {"gmv": ("GMV", "#000000", "-", 3), "sessions": ("sessions", "#56B4E9", "-", 2),
              "conversion": ("conversion (orders/session)", "#009E73", "--", 2),
              "aov": ("average order value", "#E69F00", ":", 2)}
    for col, (label, color, ls, lw) in styles.items():
        base = decomp[col].iloc[0]
        ax.plot(x, 100 * decomp[col] / base, label=label, color=color, ls=ls, lw=lw)
    step = max(1, len(x) // 12)
    ax.set_xticks(x[::step], _period_str(decomp["period"].iloc[::step]), rotation=45, ha="right")
    ax.set_ylabel("index (first period = 100)")
    ax.set_xlabel("period")
    ax.set_title(title or "GMV = sessions x conversion x average order value")
    ax.legend()
    return ax


def new_vs_returning(table: pd.DataFrame, *, new_col: str = "new_revenue", returning_col: str = "returning_revenue",
                     ax=None, title: str | None = None, ylabel: str = "revenue per period"):
    """Stacked bars of revenue (or GMV) from first orders and from returning customers per period
    (from :func:`retailkit.returning_revenue_share` or :func:`retailkit.gmv_new_vs_returning`)."""
    _need(table, ["period", new_col, returning_col], "new_vs_returning")
    ax = _axes(ax)
    x = np.arange(len(table))
    ax.bar(x, table[returning_col], color="#0072B2", label="returning customers (the reserve)")
    ax.bar(x, table[new_col], bottom=table[returning_col], color="#E69F00", label="first orders (new customers)")
    step = max(1, len(x) // 12)
    ax.set_xticks(x[::step], _period_str(table["period"].iloc[::step]), rotation=45, ha="right")
    money_axis(ax)
    ax.set_ylabel(ylabel)
    ax.set_xlabel("period")
    ax.set_title(title or "Where revenue comes from: new versus returning customers")
    ax.legend()
    return ax


def rfm_segment_map(segments: pd.DataFrame, *, ax=None, title: str | None = None):
    """Customers on the recency x frequency score grid, each cell labelled with its segment
    (from :func:`retailkit.rfm_segments`)."""
    _need(segments, ["R", "F", "segment"], "rfm_segment_map")
    ax = _axes(ax, figsize=(8, 6))
    counts = segments.pivot_table(index="F", columns="R", values="segment", aggfunc="size", fill_value=0)
    counts = counts.reindex(index=range(5, 0, -1), columns=range(1, 6), fill_value=0)
    top = segments.groupby(["F", "R"])["segment"].agg(lambda s: s.value_counts().index[0])
    im = ax.imshow(counts.to_numpy(), cmap="Blues", aspect="auto")
    for i, f in enumerate(counts.index):
        for j, r in enumerate(counts.columns):
            n = counts.loc[f, r]
            name = top.get((f, r), "")
            dark = n > 0.6 * counts.to_numpy().max()
            ax.text(j, i, f"{name}\n{n:,}", ha="center", va="center", fontsize=7, color="white" if dark else "black")
    ax.set_xticks(range(5), [str(r) for r in counts.columns])
    ax.set_yticks(range(5), [str(f) for f in counts.index])
    ax.set_xlabel("recency score R (5 = bought most recently)")
    ax.set_ylabel("frequency score F (5 = most purchase days)")
    ax.grid(False)
    ax.figure.colorbar(im, ax=ax, fraction=0.04, pad=0.02).set_label("customers")
    ax.set_title(title or "RFM segment map: customers by recency and frequency score")
    return ax


def payback_curves(values: pd.DataFrame, costs: pd.DataFrame | None = None, *, ax=None, title: str | None = None,
                   max_months: int | None = None, hue: str = "channel", min_customers: int = 100):
    """Cumulative contribution margin per acquired customer by months since acquisition, one line
    per channel, with each channel's CAC as a dashed line (from :func:`retailkit.value_per_customer`
    and :func:`retailkit.acquisition_costs`).  Where a line crosses its CAC, the channel pays back.
    Months observed for fewer than ``min_customers`` customers of a channel are not drawn (too noisy)."""
    _need(values, [hue, "months_since", "cum_margin_per_customer", "customers", "observable"], "payback_curves")
    ax = _axes(ax)
    obs = values[values["observable"]].assign(total=lambda d: d["cum_margin_per_customer"] * d["customers"])
    pooled = obs.groupby([hue, "months_since"])[["total", "customers"]].sum()
    pooled = pooled[pooled["customers"] >= min_customers]
    pooled = (pooled["total"] / pooled["customers"]).rename("value").reset_index()
    for name, g in pooled.groupby(hue, sort=True):
        if max_months is not None:
            g = g[g["months_since"] <= max_months]
        color = color_for(str(name))
        ax.plot(g["months_since"], g["value"], color=color, lw=2, label=str(name))
        if costs is not None and name in set(costs[hue]):
            cac = float(costs.loc[costs[hue] == name, "cac"].iloc[0])
            if np.isfinite(cac) and cac > 0:
                ax.axhline(cac, color=color, ls="--", lw=1)
    ax.axhline(0, color="black", lw=0.8)
    money_axis(ax)
    ax.set_xlabel("months since acquisition")
    ax.set_ylabel("cumulative margin per acquired customer")
    ax.set_title(title or "Payback: value per acquired customer against CAC (dashed)")
    ax.legend(title=hue, ncols=2)
    return ax


# ------------------------------------------------------------------------ model validation (retailkit.clv)
def holdout_comparison(comparison: pd.DataFrame, *, ax=None, title: str | None = None):
    """Actual vs predicted holdout purchases per customer, by purchases in the calibration period
    (from :func:`retailkit.clv.holdout_comparison`)."""
    _need(comparison, ["label", "actual", "predicted", "n_customers"], "holdout_comparison")
    ax = _axes(ax)
    x = np.arange(len(comparison))
    ax.plot(x, comparison["actual"], marker="o", color="#000000", lw=2, label="actual")
    ax.plot(x, comparison["predicted"], marker="s", color="#0072B2", lw=2, ls="--", label="model")
    ax.set_xticks(x, [str(v) for v in comparison["label"]])
    ax.set_xlabel("repeat purchases in the calibration period")
    ax.set_ylabel("mean purchases per customer in the holdout")
    ax.set_title(title or "Holdout: predicted vs actual purchases")
    ax.legend()
    return ax


def period_histogram(histogram: pd.DataFrame, *, ax=None, title: str | None = None):
    """Customers by number of repeat purchases: actual vs expected under the fitted model (from
    :func:`retailkit.clv.period_transaction_histogram`)."""
    _need(histogram, ["label", "actual", "expected"], "period_histogram")
    ax = _axes(ax)
    x = np.arange(len(histogram))
    ax.bar(x - 0.2, histogram["actual"], width=0.4, color="#000000", label="actual")
    ax.bar(x + 0.2, histogram["expected"], width=0.4, color="#0072B2", label="model")
    ax.set_xticks(x, [str(v) for v in histogram["label"]])
    ax.set_xlabel("repeat purchases in the calibration period")
    ax.set_ylabel("customers")
    ax.set_title(title or "Repeat purchases per customer: data vs model")
    ax.legend()
    return ax


def tracking(expected: pd.DataFrame, actual: pd.DataFrame | None = None, *, calibration_end=None, ax=None,
             title: str | None = None, unit: str = "weeks"):
    """Cumulative repeat purchases over time: the model's expectation (from
    :func:`retailkit.clv.expected_cumulative_purchases`, columns ``time`` and ``expected``) and, if
    given, the actual cumulative count (columns ``time`` and ``actual``).  ``calibration_end`` (in
    the same time unit) draws the line where the holdout starts."""
    _need(expected, ["time", "expected"], "tracking")
    ax = _axes(ax)
    if actual is not None:
        _need(actual, ["time", "actual"], "tracking")
        ax.plot(actual["time"], actual["actual"], color="#000000", lw=2, label="actual")
    ax.plot(expected["time"], expected["expected"], color="#0072B2", lw=2, ls="--", label="model")
    if calibration_end is not None:
        ax.axvline(calibration_end, color="#999999", lw=1, ls=":")
        ax.text(calibration_end, 0.03, " holdout", color="#666666", fontsize=9, transform=ax.get_xaxis_transform())
    ax.set_xlabel(f"{unit} since the start")
    ax.set_ylabel("cumulative repeat purchases")
    ax.set_title(title or "Tracking: cumulative repeat purchases")
    ax.legend()
    return ax


def frequency_recency_heatmap(matrix: pd.DataFrame, *, value: str = "prob_alive", ax=None,
                              title: str | None = None, unit: str = "weeks"):
    """A frequency x recency grid of ``prob_alive`` or ``expected_purchases`` (from
    :func:`retailkit.clv.frequency_recency_matrix`)."""
    _need(matrix, ["frequency", "recency", value], "frequency_recency_heatmap")
    ax = _axes(ax, figsize=(8, 5.5))
    grid = matrix.pivot_table(index="frequency", columns="recency", values=value, aggfunc="first")
    grid = grid.sort_index(ascending=False)
    im = ax.imshow(grid.to_numpy(dtype=float), aspect="auto", cmap="viridis",
                   vmin=0, vmax=1 if value == "prob_alive" else None)
    step_x = max(1, grid.shape[1] // 8)
    ax.set_xticks(range(0, grid.shape[1], step_x), [f"{c:.0f}" for c in grid.columns[::step_x]])
    step_y = max(1, grid.shape[0] // 10)
    ax.set_yticks(range(0, grid.shape[0], step_y), [str(i) for i in grid.index[::step_y]])
    ax.set_xlabel(f"recency: time of the last purchase ({unit} after the first)")
    ax.set_ylabel("frequency: repeat purchases")
    ax.grid(False)
    label = "P(alive)" if value == "prob_alive" else "expected purchases"
    cbar = ax.figure.colorbar(im, ax=ax, fraction=0.04, pad=0.02)
    cbar.set_label(label)
    ax.set_title(title or f"{label} by frequency and recency")
    return ax
