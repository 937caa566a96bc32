"""The results objects: statsmodels vocabulary, immutability, summary table."""

import numpy as np
import pandas as pd
import pytest

import retailkit.clv as clv


@pytest.fixture(scope="module")
def res():
    return clv.BetaGeo.fit(clv.simulate_bgnbd(3000, (0.5, 6.0, 0.7, 2.5), 40.0, seed=51))


def test_statsmodels_vocabulary(res):
    assert list(res.params.index) == ["r", "alpha", "a", "b"]
    assert list(res.bse.index) == ["r", "alpha", "a", "b"]
    assert list(res.conf_int().columns) == ["lower", "upper"]
    assert res.nobs == 3000 and res.df_model == 4 and res.converged
    assert res.aic == pytest.approx(-2 * res.llf + 8)
    assert res.bic == pytest.approx(-2 * res.llf + 4 * np.log(3000))
    cov = res.cov_params()
    np.testing.assert_allclose(np.sqrt(np.diag(cov)), res.bse, rtol=1e-12)
    np.testing.assert_allclose(cov, cov.T, rtol=1e-12)


def test_llf_is_the_sum_of_per_customer_loglik(res):
    data = clv.simulate_bgnbd(3000, (0.5, 6.0, 0.7, 2.5), 40.0, seed=51)
    assert clv.BetaGeo.loglikeobs(res.params, data).sum() == pytest.approx(res.llf, rel=1e-12)


def test_results_are_immutable(res):
    with pytest.raises(AttributeError, match="immutable"):
        res.llf = 0.0
    p = res.params
    p["r"] = 99.0
    assert res.params["r"] != 99.0  # params hands out a copy
    with pytest.raises(ValueError):
        res._values[0] = 1.0


def test_summary_reads_like_statsmodels(res):
    text = str(res.summary())
    for fragment in ["BG/NBD Results", "Log-Likelihood:", "No. Observations:", "3000", "Distinct patterns:",
                     "coef", "std err", "[0.025", "0.975]", "alpha", "Converged:", "True"]:
        assert fragment in text
    assert max(len(line) for line in text.splitlines()) <= 78
    assert repr(res.summary()) == text
    assert "BetaGeoResults: r=" in repr(res)


def test_from_params_predicts_without_estimates():
    truth = clv.ParetoNBDResults.from_params({"r": 0.5, "alpha": 5.0, "s": 0.5, "beta": 9.0}, frequency="x")
    assert truth.bse.isna().all() and not truth.converged and np.isnan(truth.llf)
    data = pd.DataFrame({"x": [0, 3], "recency": [0.0, 4.0], "T": [10.0, 10.0]})
    assert truth.prob_alive(data).between(0, 1).all()
    assert "Warning" in str(truth.summary())


def test_every_model_has_a_summary():
    counts = clv.simulate_bgnbd(2000, (0.5, 6.0, 0.7, 2.5), 40.0, seed=52)
    spend = clv.simulate_gammagamma(counts["frequency"], (6.0, 4.0, 15.0), seed=53)
    fits = [clv.ParetoNBD.fit(counts), clv.GammaGamma.fit(counts.join(spend)),
            clv.ShiftedBetaGeometric.fit(clv.simulate_sbg(500, (0.7, 1.2), 8, seed=54))]
    for fit, title in zip(fits, ["Pareto/NBD", "Gamma-Gamma", "sBG"], strict=True):
        assert f"{title} Results" in str(fit.summary())
        assert fit.converged
