"""Tests of retailkit.metrics.cohorts on hand-computed logs."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retailkit.errors import InputError, SchemaError
from retailkit.metrics.cohorts import (
    cohort_table,
    pivot_cohorts,
    repeat_rate,
    retention_curve,
    returning_revenue_share,
)
from retailkit.prep import RowsLeftOutWarning


def _log():
    rows = [
        # customer, date, amount, channel, is_first
        (1, "2024-01-15", 10.0, "a", True), (1, "2024-02-03", 20.0, "a", False), (1, "2024-04-30", 30.0, "a", False),
        (2, "2024-01-31", 5.0, "b", True), (2, "2024-03-01", 6.0, "b", False),
        (3, "2024-02-29", 7.0, "a", True), (3, "2024-02-29", 8.0, "a", False),  # two orders on one day
        (4, "2024-04-02", 9.0, "b", True),
    ]
    df = pd.DataFrame(rows, columns=["customer_id", "order_date", "amount", "channel", "is_first"])
    df["order_date"] = pd.to_datetime(df["order_date"])
    return df


def _cells(table, **by):
    t = table
    for col, value in by.items():
        t = t[t[col] == value]
    return {(str(c), int(k)): v for c, k, v in zip(t["cohort"], t["period_number"], t["value"], strict=True)}


def test_monthly_retention_hand_computed():
    t = cohort_table(_log(), observation_end="2024-04-30")  # April complete: everything observable
    assert list(t.columns) == ["cohort", "period_number", "cohort_size", "value"]
    assert _cells(t) == {
        ("2024-01", 0): 1.0, ("2024-01", 1): 0.5, ("2024-01", 2): 0.5, ("2024-01", 3): 0.5,
        ("2024-02", 0): 1.0, ("2024-02", 1): 0.0, ("2024-02", 2): 0.0,  # observed and empty: 0, not NaN
        ("2024-04", 0): 1.0,
    }
    assert t.groupby(t["cohort"].astype(str))["cohort_size"].first().to_dict() == {
        "2024-01": 2, "2024-02": 1, "2024-04": 1,
    }


def test_incomplete_last_month_is_masked_and_late_rows_counted():
    with pytest.warns(RowsLeftOutWarning, match="1 row "):
        t = cohort_table(_log(), metric="active", observation_end="2024-04-29")
    cells = _cells(t)
    assert np.isnan(cells[("2024-01", 3)]) and np.isnan(cells[("2024-02", 2)]) and np.isnan(cells[("2024-04", 0)])
    assert cells[("2024-01", 2)] == 1.0 and cells[("2024-02", 1)] == 0.0
    assert t.attrs["rows_left_out"] == {"after observation_end": 1}
    assert str(t.attrs["last_complete_period"]) == "2024-03"
    wide = pivot_cohorts(t)
    assert wide.shape == (3, 4)
    assert wide.loc[pd.Period("2024-02", "M"), 3] != wide.loc[pd.Period("2024-02", "M"), 3]  # NaN


def test_orders_and_revenue_by_channel():
    orders = cohort_table(_log(), metric="orders", by="channel", observation_end="2024-04-30")
    assert list(orders.columns) == ["channel", "cohort", "period_number", "cohort_size", "value"]
    assert _cells(orders, channel="a") == {
        ("2024-01", 0): 1, ("2024-01", 1): 1, ("2024-01", 2): 0, ("2024-01", 3): 1,
        ("2024-02", 0): 2, ("2024-02", 1): 0, ("2024-02", 2): 0,
    }
    revenue = cohort_table(_log(), metric="revenue", by=["channel"], observation_end="2024-04-30")
    assert _cells(revenue, channel="b") == {
        ("2024-01", 0): 5.0, ("2024-01", 1): 0.0, ("2024-01", 2): 6.0, ("2024-01", 3): 0.0, ("2024-04", 0): 9.0,
    }
    wide = pivot_cohorts(revenue)
    assert wide.index.names == ["channel", "cohort"]
    assert wide.loc[("b", pd.Period("2024-01", "M")), 2] == 6.0


def test_iso_weeks_and_month_boundary():
    df = pd.DataFrame({
        "customer_id": [7, 7, 7],
        "order_date": pd.to_datetime(["2024-12-29", "2024-12-30", "2025-01-01"]),  # Sun, Mon (ISO 2025-W01), Wed
        "amount": [1.0, 2.0, 3.0],
    })
    weeks = cohort_table(df, period="W", metric="orders", observation_end="2025-01-05")
    assert str(weeks["cohort"].iloc[0]) == "2024-12-23/2024-12-29"
    assert weeks["cohort"].iloc[0].start_time == pd.Timestamp("2024-12-23")  # a Monday
    assert weeks["value"].tolist() == [1.0, 2.0]  # 12-30 and 01-01 are both in ISO week 2025-W01
    assert pd.Period("2024-12-30", "W-SUN").start_time.isocalendar()[:2] == (2025, 1)
    months = cohort_table(df, period="M", metric="orders", observation_end="2025-01-31")
    assert months["value"].tolist() == [2.0, 1.0]  # December: 2 orders, January: 1
    masked = cohort_table(df, period="W", metric="orders", observation_end="2025-01-04")  # W01 ends Sunday 01-05
    assert masked["value"].iloc[0] == 1.0 and np.isnan(masked["value"].iloc[1])


def test_retention_curve_pools_old_enough_cohorts_with_wilson_intervals():
    curve = retention_curve(_log(), observation_end="2024-04-30")
    assert curve["period_number"].tolist() == [0, 1, 2, 3]
    assert curve["n_cohorts"].tolist() == [3, 2, 2, 1]
    assert curve["customers"].tolist() == [4, 3, 3, 2]
    assert curve["retained"].tolist() == [4, 1, 1, 1]
    z = 1.959963984540054  # Wilson score interval, written out
    for _, row in curve.iterrows():
        n, p = row["customers"], row["retained"] / row["customers"]
        centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
        half = z / (1 + z**2 / n) * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
        assert row["ci_lower"] == pytest.approx(centre - half) and row["ci_upper"] == pytest.approx(centre + half)
    by = retention_curve(_log(), by="channel", observation_end="2024-04-30")
    assert by[by["channel"] == "b"]["customers"].tolist() == [2, 1, 1, 1]


def test_repeat_rate_counts_only_old_enough_customers():
    r = repeat_rate(_log(), within_days=30, observation_end="2024-04-30")
    # 1: 01-15 -> 02-03 (19 days) yes; 2: 01-31 -> 03-01 (30 days, inclusive) yes;
    # 3: second order on the first day does not count; 4: 04-02 + 30 days > 04-30: too young
    assert r[["customers", "repeaters", "too_young"]].iloc[0].tolist() == [3, 2, 1]
    assert r["repeat_rate"].iloc[0] == pytest.approx(2 / 3)
    assert r["ci_lower"].iloc[0] < 2 / 3 < r["ci_upper"].iloc[0]
    assert r.attrs["customers_left_out"]["too young: first purchase less than 30 days before observation_end"] == 1
    by = repeat_rate(_log(), within_days=30, by="channel", observation_end="2024-04-30").set_index("channel")
    assert by.loc["a", "repeaters"] == 1 and by.loc["b", "too_young"] == 1
    short = repeat_rate(_log(), within_days=18, observation_end="2024-04-30")
    assert short["repeaters"].iloc[0] == 0
    with pytest.raises(InputError, match="within_days"):
        repeat_rate(_log(), within_days=0)


def test_returning_revenue_share():
    r = returning_revenue_share(_log(), observation_end="2024-04-30")
    assert r["period"].astype(str).tolist() == ["2024-01", "2024-02", "2024-03", "2024-04"]
    assert r["revenue"].tolist() == [15.0, 35.0, 6.0, 39.0]
    assert r["returning_revenue"].tolist() == [0.0, 28.0, 6.0, 30.0]
    assert r["returning_share"].tolist() == pytest.approx([0.0, 0.8, 1.0, 30 / 39])
    assert r["complete"].all()
    with pytest.warns(RowsLeftOutWarning, match="left out 1 row "):
        by_day = returning_revenue_share(_log(), first_col=None, observation_end="2024-04-29")
    assert by_day["returning_revenue"].tolist()[1] == 20.0  # customer 3's second order is on the first day
    assert not by_day["complete"].iloc[-1]
    with pytest.raises(SchemaError, match="first_col=None"):
        returning_revenue_share(_log().drop(columns="is_first"))


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"metric": "churn"}, InputError, "unknown metric 'churn'"),
        ({"period": "fortnight"}, InputError, "unknown period 'fortnight'"),
        ({"by": "chanel"}, SchemaError, r"no column 'chanel' \(by\) - did you mean 'channel'"),
        ({"observation_end": "2023-01-01"}, InputError, "before the first date"),
        ({"datetime_col": "date"}, SchemaError, "no column 'date'"),
    ],
)
def test_cohort_table_bad_input(kwargs, error, words):
    with pytest.raises(error, match=words):
        cohort_table(_log(), **kwargs)


def test_revenue_checks_amounts_but_retention_does_not_need_them():
    bad = _log().assign(amount=lambda d: d["amount"].where(d.index != 0, -1.0))
    cohort_table(bad)  # retention does not read amounts
    with pytest.raises(InputError, match="negative amounts"):
        cohort_table(bad, metric="revenue")


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 6), st.integers(0, 200)), min_size=1, max_size=50),
    st.sampled_from(["W", "M", "Q"]),
)
def test_cohort_properties(rows, period):
    df = pd.DataFrame({
        "customer_id": [r[0] for r in rows],
        "order_date": pd.Timestamp("2024-11-01") + pd.to_timedelta([r[1] for r in rows], unit="D"),
    })
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RowsLeftOutWarning)
        t = cohort_table(df, period=period, metric="active")
        shuffled = cohort_table(df.sample(frac=1, random_state=0), period=period, metric="active")
    pd.testing.assert_frame_equal(t, shuffled)
    seen = t.dropna(subset=["value"])
    assert (seen["value"] <= seen["cohort_size"]).all()
    assert (seen.loc[seen["period_number"] == 0, "value"] == seen.loc[seen["period_number"] == 0, "cohort_size"]).all()
    assert t.groupby("cohort", observed=True)["cohort_size"].first().sum() == df["customer_id"].nunique()
