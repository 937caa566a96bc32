"""Customer value and customer equity."""

import numpy as np
import pandas as pd
import pytest

import retailkit.clv as clv
from retailkit.errors import InputError

BG = clv.BetaGeoResults.from_params((0.5, 6.0, 0.7, 2.5))
GG = clv.GammaGammaResults.from_params((6.0, 4.0, 15.0))
DATA = pd.DataFrame({"frequency": [0, 2, 8], "recency": [0.0, 10.0, 38.0], "T": [40.0, 40.0, 40.0],
                     "monetary_value": [0.0, 25.0, 40.0], "channel": ["paid", "organic", "paid"]},
                    index=[101, 102, 103])


def test_undiscounted_value_is_margin_times_spend_times_purchases():
    v = clv.customer_value(BG, GG, DATA, horizon=52, discount_rate=0.0, margin=0.3)
    expected = BG.expected_purchases(52, DATA) * GG.expected_spend(DATA) * 0.3
    np.testing.assert_allclose(v["value"], expected, rtol=1e-12)
    np.testing.assert_allclose(v["expected_purchases"], BG.expected_purchases(52, DATA), rtol=1e-12)
    np.testing.assert_allclose(v["discounted_purchases"], v["expected_purchases"], rtol=1e-12)
    assert list(v.index) == [101, 102, 103]


def test_discounting_uses_an_annual_rate_and_explicit_time_unit():
    # one step of a full year: purchases discounted at the midpoint, half a year, by 1.1**-0.5
    weeks_per_year = 365.25 / 7
    v = clv.customer_value(BG, 20.0, DATA, horizon=weeks_per_year, step=weeks_per_year, discount_rate=0.1,
                           margin=1.0)
    np.testing.assert_allclose(v["discounted_purchases"], v["expected_purchases"] * 1.1**-0.5, rtol=1e-12)
    end = clv.customer_value(BG, 20.0, DATA, horizon=weeks_per_year, step=weeks_per_year,
                             discount_rate=0.1, margin=1.0, discount_at="end")
    np.testing.assert_allclose(end["discounted_purchases"], end["expected_purchases"] / 1.1, rtol=1e-12)
    # the same horizon in days gives the same answer when the model's unit is days
    np.testing.assert_allclose(clv.discount_factor(365.25, discount_rate=0.1, time_unit="D"), 1 / 1.1)
    np.testing.assert_allclose(clv.discount_factor(2.0, discount_rate=0.1, time_unit=7.0),
                               clv.discount_factor(2.0, discount_rate=0.1, time_unit="W"))
    # a month is a mean Julian month (365.25/12 days), as in rk.rfm_summary: 12 of them make a year
    np.testing.assert_allclose(clv.discount_factor(12.0, discount_rate=0.1, time_unit="M"), 1 / 1.1)


def test_finer_steps_converge_and_value_falls_with_rate():
    coarse = clv.customer_value(BG, GG, DATA, horizon=104, step=13, discount_rate=0.15, margin=0.3)
    fine = clv.customer_value(BG, GG, DATA, horizon=104, step=0.5, discount_rate=0.15, margin=0.3)
    # midpoint rule: the error falls like step^2; 13-week steps are within 0.1% of half-week steps
    np.testing.assert_allclose(coarse["value"], fine["value"], rtol=1e-3)
    higher = clv.customer_value(BG, GG, DATA, horizon=104, step=0.5, discount_rate=0.3, margin=0.3)
    assert (higher["value"] < fine["value"]).all()
    partial = clv.customer_value(BG, GG, DATA, horizon=10.5, step=4, discount_rate=0.0, margin=0.3)
    np.testing.assert_allclose(partial["expected_purchases"], BG.expected_purchases(10.5, DATA), rtol=1e-12)


def test_spend_and_margin_per_customer():
    spend = pd.Series([10.0, 20.0, 30.0], index=DATA.index)
    margin = pd.Series([0.1, 0.2, 0.3], index=DATA.index)
    v = clv.customer_value(BG, spend, DATA, horizon=26, discount_rate=0.0, margin=margin)
    np.testing.assert_allclose(v["value"], v["expected_purchases"] * spend * margin, rtol=1e-12)
    with pytest.raises(InputError, match="index differs"):
        clv.customer_value(BG, spend.reset_index(drop=True), DATA, horizon=26, discount_rate=0.0, margin=0.3)


def test_customer_equity_total_and_by_channel():
    v = clv.customer_value(BG, GG, DATA, horizon=52, discount_rate=0.1, margin=0.3)
    total = clv.customer_equity(v)
    assert total["equity"].iloc[0] == pytest.approx(v["value"].sum())
    by = clv.customer_equity(v, "channel", data=DATA)
    assert list(by["channel"]) == ["organic", "paid"]
    assert by["n_customers"].tolist() == [1, 2]
    assert by["equity"].sum() == pytest.approx(v["value"].sum())
    assert by["share"].sum() == pytest.approx(1.0)
    labels = pd.Series(["a", None, "a"], index=DATA.index, name="segment")
    with_missing = clv.customer_equity(v["value"], labels)
    assert with_missing["n_customers"].sum() == 3  # the unlabelled customer is kept as its own group


def test_value_with_paretonbd_matches_its_expectations():
    pn = clv.ParetoNBDResults.from_params((0.6, 8.0, 0.8, 12.0))
    v = clv.customer_value(pn, GG, DATA, horizon=52, step=4, discount_rate=0.0, margin=0.25)
    expected = pn.expected_purchases(52, DATA) * GG.expected_spend(DATA) * 0.25
    np.testing.assert_allclose(v["value"], expected, rtol=1e-12)
