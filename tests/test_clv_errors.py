"""Bad input raises an error that names the problem; doubtful fits warn."""

import numpy as np
import pandas as pd
import pytest

import retailkit.clv as clv
from retailkit.errors import IdentificationError, InputError, RetailkitError


def _good(n=6):
    return pd.DataFrame({"frequency": [0, 1, 2, 3, 0, 5][:n], "recency": [0.0, 2.0, 5.0, 7.0, 0.0, 9.0][:n],
                         "T": [10.0] * n, "monetary_value": [0.0, 10.0, 20.0, 15.0, 0.0, 30.0][:n]},
                        index=[f"c{i}" for i in range(n)])


PURCHASE_MODELS = [clv.BetaGeo, clv.ParetoNBD]


@pytest.mark.parametrize("model", PURCHASE_MODELS)
@pytest.mark.parametrize(
    ("column", "value", "fragments"),
    [
        ("frequency", -1, ["'frequency'", "negative", "'c2'"]),
        ("frequency", 1.5, ["'frequency'", "whole number", "'c2'"]),
        ("frequency", np.nan, ["'frequency'", "NaN", "'c2'"]),
        ("recency", 11.0, ["'recency'", "greater than 'T'", "'c2'"]),
        ("recency", np.nan, ["'recency'", "NaN", "'c2'"]),
        ("recency", 0.0, ["'recency'", "is 0 where 'frequency' is positive", "'c2'"]),
        ("T", -3.0, ["'T'", "negative", "'c2'"]),
        ("T", np.inf, ["'T'", "infinite", "'c2'"]),
    ],
)
def test_bad_history_names_column_and_row(model, column, value, fragments):
    data = _good()
    data[column] = data[column].astype(float)
    data.loc["c2", column] = value
    with pytest.raises(InputError) as err:
        model.fit(data)
    for fragment in fragments:
        assert fragment in str(err.value)


def test_recency_of_one_time_buyer_must_be_zero():
    data = _good()
    data.loc["c0", "recency"] = 3.0
    with pytest.raises(InputError, match=r"'recency' is not 0 where 'frequency' is 0 .* first: 'c0'"):
        clv.BetaGeo.fit(data)


@pytest.mark.parametrize("model", PURCHASE_MODELS)
def test_missing_column_and_custom_names(model):
    data = _good().rename(columns={"frequency": "x"})
    with pytest.raises(InputError, match="no column 'frequency'"):
        model.fit(data)
    with pytest.raises(InputError, match="must be a pandas DataFrame"):
        model.fit(data.to_numpy())


@pytest.mark.parametrize("model", PURCHASE_MODELS)
def test_identification_errors(model):
    data = _good()
    data["frequency"] = 0
    data["recency"] = 0.0
    with pytest.raises(IdentificationError, match="no repeat buyers"):
        model.fit(data)
    data["T"] = 0.0
    with pytest.raises(IdentificationError, match="'T' equal to 0"):
        model.fit(data)
    assert issubclass(IdentificationError, RetailkitError)


def test_weights_are_checked():
    data = _good()
    with pytest.raises(InputError, match="weights has 3 values but the data has 6 rows"):
        clv.BetaGeo.fit(data, weights=[1, 2, 3])
    with pytest.raises(InputError, match="'weights' is negative .* 'c1'"):
        clv.BetaGeo.fit(data, weights=[1, -1, 1, 1, 1, 1])
    with pytest.raises(InputError, match="no column 'n'"):
        clv.BetaGeo.fit(data, weights="n")


def test_gammagamma_bad_spend():
    data = _good()
    data.loc["c3", "monetary_value"] = 0.0
    with pytest.raises(InputError, match=r"'monetary_value' is not positive where 'frequency' > 0 .* 'c3'"):
        clv.GammaGamma.fit(data)
    data.loc["c3", "monetary_value"] = -5.0
    with pytest.raises(InputError, match="'monetary_value'"):
        clv.GammaGamma.fit(data)
    data.loc["c3", "monetary_value"] = np.nan
    with pytest.raises(InputError, match="'monetary_value' is NaN"):
        clv.GammaGamma.fit(data)
    with pytest.raises(IdentificationError, match="at least two different values"):
        clv.GammaGamma.fit(_good().assign(frequency=0))


def test_gammagamma_warns_on_heavy_tail():
    counts = pd.Series(np.random.default_rng(1).integers(1, 8, 3000))
    data = pd.concat([counts.rename("frequency"), clv.simulate_gammagamma(counts, (3.0, 0.7, 5.0), seed=2)], axis=1)
    with pytest.warns(clv.ModelWarning, match=r"q = 0\.\d+ <= 1: the population mean spend"):
        res = clv.GammaGamma.fit(data)
    assert res.mean_spend == np.inf
    assert np.isinf(res.expected_spend(pd.DataFrame({"frequency": [0], "monetary_value": [0.0]}))).all()


def test_gammagamma_warns_when_spend_follows_frequency():
    freq = pd.Series(np.random.default_rng(3).integers(1, 20, 2000), name="frequency")
    spend = clv.simulate_gammagamma(freq, (6.0, 4.0, 15.0), seed=4)["monetary_value"] * (1 + 0.3 * freq)
    data = pd.DataFrame({"frequency": freq, "monetary_value": spend})
    with pytest.warns(clv.ModelWarning, match=r"Pearson r = 0\.\d\d"):
        res = clv.GammaGamma.fit(data)
    assert res.spend_frequency_corr > 0.3


def test_sbg_bad_input_and_identification():
    data = pd.DataFrame({"recency": [1, 2, 3, 3], "T": [3, 3, 3, 3]}, index=list("wxyz"))
    with pytest.raises(InputError, match=r"'recency' is greater than 'T' .* 'y'"):
        clv.ShiftedBetaGeometric.fit(data.assign(T=[3, 3, 2, 3]))
    with pytest.raises(InputError, match=r"'recency' is less than 1 .* 'w'"):
        clv.ShiftedBetaGeometric.fit(data.assign(recency=[0, 2, 3, 3]))
    with pytest.raises(InputError, match="'T' is not a whole number"):
        clv.ShiftedBetaGeometric.fit(data.assign(T=[3, 3, 3.5, 3]))
    with pytest.raises(IdentificationError, match="at least two observed renewals"):
        clv.ShiftedBetaGeometric.fit(pd.DataFrame({"recency": [1, 2, 2], "T": [2, 2, 2]}))
    with pytest.raises(IdentificationError, match="nobody churned"):
        clv.ShiftedBetaGeometric.fit(data.assign(recency=3))


def test_prediction_arguments_are_checked():
    res = clv.BetaGeoResults.from_params((0.5, 6.0, 0.7, 2.5))
    with pytest.raises(InputError, match="t must be finite and >= 0"):
        res.expected_purchases(-1.0, _good())
    with pytest.raises(InputError, match="n must be whole numbers"):
        res.prob_n_purchases(1.5, 10.0)
    with pytest.raises(InputError, match="no column 'T'"):
        res.prob_alive(_good().drop(columns="T"))
    with pytest.raises(InputError, match="method must be 'log' or 'wald'"):
        res.conf_int(method="profile")
    with pytest.raises(InputError, match="params lacks b"):
        clv.BetaGeoResults.from_params({"r": 1, "alpha": 1, "a": 1})
    sbg = clv.ShiftedBetaGeometricResults.from_params((1.0, 2.0))
    with pytest.raises(InputError, match="t must be >= 1"):
        sbg.retention(0)


def test_value_arguments_are_checked():
    bg = clv.BetaGeoResults.from_params((0.5, 6.0, 0.7, 2.5))
    data = _good()
    with pytest.raises(InputError, match=r"time_unit 'Q' is not supported.*M=365.25/12"):
        clv.customer_value(bg, 20.0, data, horizon=12, time_unit="Q", discount_rate=0.1, margin=0.3)
    with pytest.raises(InputError, match="margin must be a share"):
        clv.customer_value(bg, 20.0, data, horizon=52, discount_rate=0.1, margin=30)
    with pytest.raises(InputError, match="horizon must be a positive"):
        clv.customer_value(bg, 20.0, data, horizon=0, discount_rate=0.1, margin=0.3)
    with pytest.raises(InputError, match="no column 'channel'"):
        clv.customer_equity(pd.Series([1.0, 2.0]), "channel")


def test_convergence_warning_points_at_the_callers_line():
    # every customer buys at the same steady rate: no heterogeneity, alpha and r run off to infinity
    data = pd.DataFrame({"frequency": [10] * 50 + [0] * 5, "recency": [30.0] * 50 + [0.0] * 5, "T": [30.0] * 55})
    with pytest.warns(clv.ModelWarning, match="did not converge cleanly") as record:
        res = clv.BetaGeo.fit(data)
    assert not res.converged
    assert record[0].filename == __file__


def test_gamma_gamma_nonpositive_spend_can_be_excluded_explicitly():
    """Repeat buyers whose purchases were all refunded have mean spend 0: an error by default; with
    nonpositive='exclude' they are left out of the fit (counted, warned) and get the population
    mean in predictions, so customer value works on the kit's own summaries."""
    import warnings

    import retailkit as rk
    from retailkit.clv import BetaGeo, GammaGamma, ModelWarning, customer_value

    rng = np.random.default_rng(3)
    n = 400
    x = rng.integers(0, 6, n)
    data = pd.DataFrame({"frequency": x, "recency": x * 2.0, "T": 20.0,
                         "monetary_value": np.where(x > 0, rng.gamma(6, 5, n), 0.0)})
    data.loc[data.index[x > 0][:3], "monetary_value"] = 0.0
    with pytest.raises(rk.InputError, match="is not positive where 'frequency' > 0 in 3 row"):
        GammaGamma.fit(data)
    with pytest.warns(ModelWarning, match="3 repeat buyer"):
        gg = GammaGamma.fit(data, nonpositive="exclude")
    assert gg.nobs == int((x > 0).sum()) - 3
    spend = gg.expected_spend(data, nonpositive="exclude")
    zero = data.index[x > 0][:3]
    assert np.allclose(spend[zero], gg.mean_spend)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bg = BetaGeo.fit(data)
    value = customer_value(bg, gg, data, horizon=52, discount_rate=0.1, margin=0.3, nonpositive_spend="exclude")
    assert np.isfinite(value["value"]).all()


@pytest.mark.parametrize("order_seed", [0, 1, 2])
def test_sbg_without_heterogeneity_is_reported_whatever_the_row_order(order_seed):
    """Everyone churns with the same probability (0.3): the best sBG fit is the limit alpha, beta ->
    inf at alpha / (alpha + beta) = 0.3, which no finite estimate reaches.  The optimiser stops
    somewhere on the ridge to it (alpha around 1e6); that point is not an estimate, so the fit must
    say so -- for every order of the rows, not just the orders where the optimiser ran to the edge."""
    rng = np.random.default_rng(1)
    data = pd.DataFrame({"recency": np.minimum(rng.geometric(0.3, 2000), 8), "T": 8})
    data = data.sample(frac=1.0, random_state=order_seed)
    with pytest.warns(clv.ModelWarning, match="flat ridge") as record:
        res = clv.ShiftedBetaGeometric.fit(data)
    assert not res.converged
    assert np.all(np.isnan(res.bse))
    assert "limit of the model" in str(record[0].message)
    # the ridge it found is the right one: the mean churn probability is still estimated well
    # (2,000 customers, 1 - 0.3 observed over up to 7 renewals: its standard error is about 0.006)
    assert abs(res.params["alpha"] / res.params.sum() - 0.3) < 0.02


def test_bgnbd_with_one_purchase_rate_for_everyone_is_reported():
    """Every customer buys at 0.2 a week while alive (heterogeneous drop-out only): r, alpha -> inf.
    The fit must not claim to have converged, whether or not the optimiser reached the edge."""
    rng = np.random.default_rng(2)
    n, T = 5000, 52.0
    p = rng.beta(0.8, 2.4, n)
    x, tx, t, alive = np.zeros(n), np.zeros(n), np.zeros(n), np.ones(n, bool)
    while alive.any():  # whole population at once, one purchase per step (no loop per customer)
        nt = t + rng.exponential(5.0, n)
        buy = alive & (nt <= T)
        x[buy] += 1
        tx[buy] = nt[buy]
        t = np.where(buy, nt, t)
        alive = buy & (rng.random(n) >= p)
    with pytest.warns(clv.ModelWarning, match="limit of the model"):
        res = clv.BetaGeo.fit(pd.DataFrame({"frequency": x, "recency": tx, "T": T}))
    assert not res.converged
    # drop-out is still heterogeneous and estimated: a, b near the truth (0.8, 2.4); 5,000
    # customers give standard errors of about 0.05 and 0.2, so these bounds are 4 to 5 of them
    assert abs(res.params["a"] - 0.8) < 0.25 and abs(res.params["b"] - 2.4) < 1.0
