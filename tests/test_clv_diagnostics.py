"""Validation helpers return tidy frames whose numbers add up."""

import numpy as np
import pandas as pd
import pytest

import retailkit.clv as clv
from retailkit.errors import InputError

TRUTH = {"r": 0.5, "alpha": 6.0, "a": 0.7, "b": 2.5}


@pytest.fixture(scope="module")
def fitted():
    T = np.random.default_rng(41).integers(26 * 7, 39 * 7 + 1, 5000) / 7
    data = clv.simulate_bgnbd(5000, TRUTH, T, holdout=39.0, seed=42)
    return clv.BetaGeo.fit(data), data


def test_holdout_comparison_by_frequency(fitted):
    res, data = fitted
    table = clv.holdout_comparison(res, data, duration=39.0, max_frequency=5)
    assert list(table.columns) == ["frequency", "label", "n_customers", "actual", "predicted", "error"]
    assert table["label"].tolist() == ["0", "1", "2", "3", "4", "5+"]
    assert table["n_customers"].sum() == len(data)
    weighted = (table["predicted"] * table["n_customers"]).sum()
    assert weighted == pytest.approx(res.expected_purchases(39.0, data).sum())
    # a correctly specified model: group means agree within a few standard errors, here ~0.3
    assert (table["error"].abs() < 0.5).all()
    # the holdout length can also come per customer from a column
    per_customer = clv.holdout_comparison(res, data.assign(duration_holdout=39.0), max_frequency=5)
    np.testing.assert_allclose(per_customer["predicted"], table["predicted"], rtol=1e-12)


def test_holdout_metrics(fitted):
    res, data = fitted
    m = clv.holdout_metrics(res, data, duration=39.0)
    assert list(m.index) == ["customer", "frequency_group"]
    assert m.loc["customer", "n"] == len(data) and m.loc["frequency_group", "n"] == 8
    assert (m["rmse"] >= m["mae"]).all()
    assert m.loc["customer", "actual_total"] == data["frequency_holdout"].sum()


def test_period_transaction_histogram(fitted):
    res, data = fitted
    h = clv.period_transaction_histogram(res, data, max_frequency=7)
    assert h["actual"].sum() == len(data)
    assert h["expected"].sum() == pytest.approx(len(data))
    # counts near 5000 * p: expected within 5 Poisson standard errors (+ estimation noise)
    assert (np.abs(h["actual"] - h["expected"]) < 5 * np.sqrt(h["expected"]) + 10).all()


def test_frequency_recency_matrix(fitted):
    res, _ = fitted
    grid = clv.frequency_recency_matrix(res, T=39.0, t=13.0, max_frequency=4, n_recency=3)
    assert len(grid) == 1 + 4 * 3
    zero = grid[grid["frequency"] == 0]
    assert zero["prob_alive"].iloc[0] == 1.0 and zero["recency"].iloc[0] == 0.0
    wide = grid[grid["frequency"] > 0].pivot(index="frequency", columns="recency", values="prob_alive")
    assert np.all(np.diff(wide.to_numpy(), axis=1) > 0)  # more recent last purchase, more likely alive


def test_expected_cumulative_purchases(fitted):
    res, data = fitted
    times = np.array([-60.0, -10.0, 0.0, 13.0, 39.0])
    curve = clv.expected_cumulative_purchases(res, data, times)
    assert curve["expected"].iloc[0] == 0.0  # before anyone's first purchase
    assert np.all(np.diff(curve["expected"]) > 0)
    at_end = res.expected_purchases_new_customer(data["T"].to_numpy()).sum()
    assert curve.loc[curve["time"] == 0, "expected"].iloc[0] == pytest.approx(at_end)


def test_diagnostics_need_a_purchase_model():
    sbg = clv.ShiftedBetaGeometricResults.from_params((1.0, 2.0))
    with pytest.raises(InputError, match="BetaGeo or ParetoNBD"):
        clv.period_transaction_histogram(sbg, pd.DataFrame())
