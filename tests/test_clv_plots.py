"""The model-validation plots draw titled, labelled axes from the clv validation tables."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import retailkit as rk


def test_validation_plots(textbook_calibration):
    res, ch = textbook_calibration
    axes = [
        rk.plots.holdout_comparison(rk.clv.holdout_comparison(res, ch)),
        rk.plots.period_histogram(rk.clv.period_transaction_histogram(res, ch)),
        rk.plots.tracking(rk.clv.expected_cumulative_purchases(res, ch, np.arange(0, 60, 5)),
                          pd.DataFrame({"time": [0, 30], "actual": [0, 100]}), calibration_end=40),
        rk.plots.frequency_recency_heatmap(rk.clv.frequency_recency_matrix(res, T=40), value="expected_purchases"),
    ]
    for ax in axes:
        assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    plt.close("all")
    with pytest.raises(rk.InputError, match=r"plots.tracking: the data lacks column\(s\) \['expected'\]"):
        rk.plots.tracking(pd.DataFrame({"time": [0]}))


@pytest.fixture(scope="module")
def textbook_calibration():
    store = rk.generate("textbook", n_customers=3000, seed=2, progress=False)
    with pytest.warns(rk.RowsLeftOutWarning, match="first purchase after calibration_end"):
        ch = rk.calibration_holdout(rk.transactions(store), "2024-06-30", "2024-12-31")
    return rk.clv.BetaGeo.fit(ch), ch
