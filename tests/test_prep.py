"""Tests of retailkit.prep: transactions(), rfm_summary(), calibration_holdout() on hand-computed logs."""

from __future__ import annotations

import types
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retailkit.errors import DataValidationError, InputError, SchemaError
from retailkit.prep import RowsLeftOutWarning, calibration_holdout, rfm_summary, transactions


# ----------------------------------------------------------------------------------- transactions()
def _store(**overrides):
    stores = pd.DataFrame({
        "store_id": ["sh", "ny"], "name": ["Shanghai", "New York"], "city": ["Shanghai", "New York"],
        "format": ["mall", "street"], "timezone": ["Asia/Shanghai", "America/New_York"],
    })
    customers = pd.DataFrame({
        "customer_id": [1, 2, 3],
        "acquired_at": pd.to_datetime(["2024-03-01 23:00", "2024-03-02 03:30", "2024-02-29 16:00"], utc=True),
        "channel": pd.Categorical(["search", "social", "referral"]),
        "store_id": ["ny", "ny", "sh"],
    })
    orders = pd.DataFrame({
        "order_id": [1, 2, 3, 4, 5, 6],
        "customer_id": [1, 1, 2, 2, 3, 1],
        "store_id": ["sh", "sh", "ny", "ny", "sh", "ny"],
        "ordered_at": pd.to_datetime([
            "2024-03-01 23:30",  # 07:30 next day in Shanghai (UTC+8)
            "2024-03-05 10:00",
            "2024-03-02 03:30",  # 22:30 the previous day in New York (UTC-5 before DST)
            "2024-03-02 12:00",
            "2024-02-29 16:00",  # midnight 2024-03-01 in Shanghai
            "2024-03-01 23:00",  # customer 1's first order although its id is larger
        ], utc=True).astype("datetime64[us, UTC]"),
        "gross_amount": [50.0, 30.0, 40.0, 20.0, 25.0, 12.0],
        "discount_amount": [0.0] * 6,
        "amount": [50.0, 30.0, 40.0, 20.0, 25.0, 12.0],
    })
    returns = pd.DataFrame({
        "order_id": [4, 4, 5],  # order 4 refunded in full over two lines, order 5 in part
        "sku": ["a", "b", "c"],
        "quantity": [1, 1, 1],
        "refund_amount": [15.0, 5.0, 10.0],
        "returned_at": pd.to_datetime(["2024-03-09", "2024-03-09", "2024-03-04"], utc=True),
    })
    tables = {"stores": stores, "customers": customers, "orders": orders, "returns": returns}
    tables.update(overrides)
    return types.SimpleNamespace(**tables)


def test_transactions_local_dates_first_orders_and_refunds():
    tx = transactions(_store())
    assert list(tx.columns) == [
        "order_id", "customer_id", "store_id", "ordered_at", "order_date", "channel", "is_first", "amount",
    ]
    assert tx["order_id"].tolist() == [6, 1, 2, 3, 4, 5]  # by customer, then ordered_at
    assert tx["order_date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2024-03-01", "2024-03-02", "2024-03-05", "2024-03-01", "2024-03-02", "2024-03-01",
    ]
    assert tx["order_date"].dt.tz is None
    assert (tx["order_date"] == tx["order_date"].dt.normalize()).all()
    assert tx["is_first"].tolist() == [True, False, False, True, False, True]
    assert tx["channel"].astype(str).tolist() == ["search"] * 3 + ["social"] * 2 + ["referral"]
    assert tx["amount"].tolist() == [12.0, 50.0, 30.0, 40.0, 0.0, 15.0]  # order 4 kept with amount 0
    assert str(tx["ordered_at"].dt.tz) == "UTC"


def test_transactions_without_netting_keeps_paid_amounts():
    tx = transactions(_store(), net_returns=False)
    assert tx.set_index("order_id")["amount"].loc[[4, 5]].tolist() == [20.0, 25.0]


def test_transactions_feed_rfm_summary():
    summary = rfm_summary(transactions(_store()), time_unit="D")
    assert summary.loc[1, "frequency"] == 2  # 03-01, 03-02, 03-05 (store-local days)
    assert summary.loc[1, "recency"] == 4.0
    assert summary.loc[2, "monetary_value"] == 0.0  # the refunded order is a purchase worth 0


@pytest.mark.parametrize(
    ("change", "error", "words"),
    [
        ({"ordered_at": "naive"}, SchemaError, "timezone-aware"),
        ({"refund": 21.0}, DataValidationError, "refunds exceed"),
        ({"store": "paris"}, DataValidationError, "store_id"),
        ({"customer": 9}, DataValidationError, "missing from customers"),
        ({"return_order": 99}, DataValidationError, "missing from orders"),
        ({"timezone": "Mars/Olympus"}, SchemaError, "Mars/Olympus"),
        ({"refund": -1.0}, DataValidationError, "non-negative refund_amount"),
        ({"paid": np.nan}, DataValidationError, r"orders.amount is missing for 1 orders \(rows 2\)"),
    ],
)
def test_transactions_bad_tables(change, error, words):
    s = _store()
    orders, returns, stores = s.orders.copy(), s.returns.copy(), s.stores.copy()
    if "ordered_at" in change:
        orders["ordered_at"] = orders["ordered_at"].dt.tz_localize(None)
    if "refund" in change:
        returns.loc[0, "refund_amount"] = change["refund"]
    if "paid" in change:
        orders.loc[2, "amount"] = change["paid"]
    if "store" in change:
        orders.loc[2, "store_id"] = change["store"]
    if "customer" in change:
        orders.loc[2, "customer_id"] = change["customer"]
    if "return_order" in change:
        returns.loc[2, "order_id"] = change["return_order"]
    if "timezone" in change:
        stores.loc[0, "timezone"] = change["timezone"]
    with pytest.raises(error, match=words):
        transactions(_store(orders=orders, returns=returns, stores=stores))


def test_transactions_missing_column_is_named():
    s = _store()
    with pytest.raises(SchemaError, match=r"orders has no column 'ordered_at' - did you mean 'orderedat'"):
        transactions(_store(orders=s.orders.rename(columns={"ordered_at": "orderedat"})))


# ------------------------------------------------------------------------------------ rfm_summary()
def _log():
    rows = [
        ("A", "2024-01-01", 10.0), ("A", "2024-01-01", 5.0),  # same day: one purchase day
        ("A", "2024-01-08", 20.0), ("A", "2024-01-15", 30.0), ("A", "2024-01-15", 10.0),
        ("B", "2024-01-03", 7.0),  # one-time buyer
        ("C", "2024-01-10", 12.0), ("C", "2024-01-31", 8.0),  # exactly on observation_end: included
        ("C", "2024-02-02", 100.0),  # after observation_end: left out, counted
        ("D", "2024-02-05", 50.0),  # only after observation_end: customer left out, counted
    ]
    df = pd.DataFrame(rows, columns=["customer_id", "order_date", "amount"])
    df["order_date"] = pd.to_datetime(df["order_date"])
    return df


def test_rfm_summary_hand_computed_weeks():
    with pytest.warns(RowsLeftOutWarning, match="2 rows"):
        s = rfm_summary(_log(), observation_end="2024-01-31")
    expected = pd.DataFrame(
        {
            "frequency": [2, 0, 1],
            "recency": [14 / 7, 0.0, 21 / 7],
            "T": [30 / 7, 28 / 7, 21 / 7],
            "monetary_value": [(20.0 + 40.0) / 2, 0.0, 8.0],  # first day (15.0) excluded
        },
        index=pd.Index(["A", "B", "C"], name="customer_id"),
    )
    pd.testing.assert_frame_equal(s, expected, check_index_type=False)
    assert s.attrs["rows_left_out"] == {"after observation_end": 2}
    assert s.attrs["customers_left_out"] == {"no purchase up to observation_end": 1}
    assert s.attrs["observation_end"] == pd.Timestamp("2024-01-31")


def test_rfm_summary_days_default_end_and_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = rfm_summary(_log(), time_unit="D")
    assert s.loc["A", "recency"] == 14.0
    assert s.loc["A", "T"] == 35.0  # to 2024-02-05, the last date in the data
    assert s.loc["C", "frequency"] == 2
    assert s.loc["D"].tolist() == [0, 0.0, 0.0, 0.0]
    assert s.attrs["rows_left_out"] == {"after observation_end": 0}


def test_rfm_summary_floors_times_and_uses_wall_clock_of_aware_datetimes():
    df = pd.DataFrame({
        "cid": [1, 1, 1],
        "at": pd.to_datetime(["2024-05-01 23:30", "2024-05-02 00:10", "2024-05-03 08:00"], utc=True)
        .tz_convert("Asia/Shanghai"),
        "paid": [1.0, 2.0, 4.0],
    })
    # Shanghai wall clock: 05-02 07:30, 05-02 08:10, 05-03 16:00 -> two purchase days
    s = rfm_summary(df, customer_col="cid", datetime_col="at", monetary_col="paid", time_unit="D")
    assert s.loc[1].tolist() == [1, 1.0, 1.0, 4.0]
    s = rfm_summary(df, customer_col="cid", datetime_col="at", monetary_col=None, observation_end="2024-05-10")
    assert list(s.columns) == ["frequency", "recency", "T"]
    assert s.loc[1, "T"] == 8 / 7


def test_rfm_summary_string_dates_and_string_ids():
    df = pd.DataFrame({"customer_id": ["x", "y", "x"], "order_date": ["2024-01-01", "2024-01-02", "2024-01-09"],
                       "amount": [1.0, 2.0, 3.0]})
    s = rfm_summary(df)
    assert s.index.tolist() == ["x", "y"]
    assert s.loc["x", "recency"] == 8 / 7


def test_rfm_summary_other_units():
    with pytest.warns(RowsLeftOutWarning):
        s = rfm_summary(_log(), observation_end="2024-01-31", time_unit="M").loc["A"]
    assert s["recency"] == pytest.approx(14 / (365.25 / 12))
    with pytest.raises(InputError, match="unknown time_unit 'Q'"):
        rfm_summary(_log(), time_unit="Q")


@pytest.mark.parametrize(
    ("mutate", "kwargs", "error", "words"),
    [
        (lambda d: d.rename(columns={"order_date": "order_dt"}), {}, SchemaError,
         r"no column 'order_date' \(datetime_col\) - did you mean 'order_dt'"),
        (lambda d: d.rename(columns={"customer_id": "Customer_ID"}), {}, SchemaError, "did you mean 'Customer_ID'"),
        (lambda d: d.set_index("customer_id"), {}, SchemaError, r"it is the index: call \.reset_index\(\)"),
        (lambda d: d.assign(order_date=["2024-01-01"] * 9 + ["31/02/2024"]), {}, SchemaError,
         r"1 unparseable dates \{9: '31/02/2024'\}"),
        (lambda d: d.assign(order_date=20240101), {}, SchemaError, "ambiguous as dates"),
        (lambda d: d.assign(order_date=d["order_date"].where(d.index != 3)), {}, InputError, "missing dates"),
        (lambda d: d.assign(amount=d["amount"].where(d.index != 4, -20.0)), {}, InputError,
         r"1 negative amounts \{4: -20.0\}.*net refunds"),
        (lambda d: d.assign(amount=d["amount"].astype(str)), {}, SchemaError, "must be numeric"),
        (lambda d: d.assign(amount=d["amount"].where(d.index != 2)), {}, InputError, "missing or infinite"),
        (lambda d: d.assign(customer_id=d["customer_id"].where(d.index != 5)), {}, InputError,
         r"1 missing customer ids \(rows 5\)"),
        (lambda d: d, {"observation_end": "2023-12-31"}, InputError,
         r"observation_end 2023-12-31 is before the first date in the data \(2024-01-01\)"),
        (lambda d: d, {"observation_end": "soon"}, InputError, "observation_end='soon' is not a date"),
        (lambda d: d.iloc[:0], {}, InputError, "no rows"),
        (lambda d: d["amount"], {}, InputError, "expected a pandas DataFrame"),
    ],
)
def test_rfm_summary_bad_input_names_the_problem(mutate, kwargs, error, words):
    with pytest.raises(error, match=words):
        rfm_summary(mutate(_log()), **kwargs)


# ------------------------------------------------------------------------------ calibration_holdout()
def _split_log():
    rows = [
        ("A", "2024-01-01", 10.0), ("A", "2024-01-05", 20.0),  # calibration
        ("A", "2024-01-12", 5.0), ("A", "2024-01-12", 5.0), ("A", "2024-01-20", 30.0),  # holdout
        ("A", "2024-01-25", 99.0),  # after observation_end
        ("B", "2024-01-03", 7.0),
        ("C", "2024-01-15", 9.0),  # first seen in the holdout: excluded, counted
    ]
    df = pd.DataFrame(rows, columns=["customer_id", "order_date", "amount"])
    df["order_date"] = pd.to_datetime(df["order_date"])
    return df


def test_calibration_holdout_hand_computed():
    with pytest.warns(RowsLeftOutWarning):
        ch = calibration_holdout(_split_log(), "2024-01-10", "2024-01-24")
    expected = pd.DataFrame(
        {
            "frequency": [1, 0],
            "recency": [4 / 7, 0.0],
            "T": [9 / 7, 7 / 7],
            "monetary_value": [20.0, 0.0],
            "frequency_holdout": [2, 0],
            "monetary_value_holdout": [(10.0 + 30.0) / 2, 0.0],
            "duration_holdout": [2.0, 2.0],
        },
        index=pd.Index(["A", "B"], name="customer_id"),
    )
    pd.testing.assert_frame_equal(ch, expected, check_index_type=False)
    assert ch.attrs["rows_left_out"] == {
        "after observation_end": 1, "customer's first purchase after calibration_end": 1,
    }
    assert ch.attrs["customers_left_out"]["first purchase after calibration_end"] == 1
    assert ch.attrs["calibration_end"] == pd.Timestamp("2024-01-10")


@pytest.mark.parametrize(
    ("cal", "obs", "words"),
    [
        ("2024-01-24", "2024-01-24", "must be before observation_end"),
        ("2023-06-01", "2024-01-24", "calibration_end 2023-06-01 is before the first date"),
    ],
)
def test_calibration_holdout_bad_dates(cal, obs, words):
    with pytest.raises(InputError, match=words):
        calibration_holdout(_split_log(), cal, obs)


# --------------------------------------------------------------------------------------- properties
logs = st.lists(
    st.tuples(st.integers(0, 5), st.integers(0, 60), st.integers(0, 10_000)), min_size=1, max_size=40
).map(
    lambda rows: pd.DataFrame({
        "customer_id": [r[0] for r in rows],
        "order_date": pd.Timestamp("2024-01-01") + pd.to_timedelta([r[1] for r in rows], unit="D"),
        "amount": [r[2] / 100 for r in rows],
    })
)


def _reference(df: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    """A plain per-customer implementation of the BTYD summary (in days)."""
    out = {}
    for cid, g in df[df["order_date"] <= end].groupby("customer_id"):
        daily = g.groupby("order_date")["amount"].sum().sort_index()
        first, last = daily.index[0], daily.index[-1]
        out[cid] = (len(daily) - 1, (last - first).days, (end - first).days,
                    daily.iloc[1:].mean() if len(daily) > 1 else 0.0)
    return pd.DataFrame.from_dict(out, orient="index", columns=["frequency", "recency", "T", "monetary_value"])


@settings(max_examples=60, deadline=None)
@given(logs, st.integers(0, 70), st.randoms(use_true_random=False))
def test_rfm_summary_matches_reference_and_invariants(df, end_offset, rnd):
    end = pd.Timestamp("2024-01-01") + pd.Timedelta(days=end_offset)
    if (df["order_date"] <= end).sum() == 0:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RowsLeftOutWarning)
        s = rfm_summary(df, observation_end=end, time_unit="D")
        order = list(range(len(df)))
        rnd.shuffle(order)
        shuffled = rfm_summary(df.iloc[order], observation_end=end, time_unit="D")
    ref = _reference(df, end)
    np.testing.assert_array_equal(s.index, ref.index)
    np.testing.assert_allclose(s.to_numpy(dtype=float), ref.to_numpy(dtype=float), rtol=1e-12, atol=1e-9)
    pd.testing.assert_frame_equal(s, shuffled, check_exact=False, rtol=1e-12)
    assert (s["frequency"] <= s["recency"]).all()
    assert (s["recency"] <= s["T"]).all()
    assert (s["monetary_value"] >= 0).all()
    assert s.attrs["rows_left_out"]["after observation_end"] == int((df["order_date"] > end).sum())


@settings(max_examples=40, deadline=None)
@given(logs, st.integers(0, 30), st.integers(1, 30))
def test_calibration_plus_holdout_adds_up(df, cal_offset, hold_len):
    start = df["order_date"].min()
    cal, end = start + pd.Timedelta(days=cal_offset), start + pd.Timedelta(days=cal_offset + hold_len)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RowsLeftOutWarning)
        ch = calibration_holdout(df, cal, end, time_unit="D")
        full = rfm_summary(df, observation_end=end, time_unit="D")
    full = full.loc[ch.index]
    np.testing.assert_array_equal(ch["frequency"] + ch["frequency_holdout"], full["frequency"])
    repeat_total = full["monetary_value"] * full["frequency"]
    split_total = ch["monetary_value"] * ch["frequency"] + ch["monetary_value_holdout"] * ch["frequency_holdout"]
    np.testing.assert_allclose(split_total, repeat_total, rtol=1e-9, atol=1e-9)
    assert (ch["duration_holdout"] == hold_len).all()
