"""Prediction identities, and predictions checked against simulation and numerical integration."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import integrate

import retailkit.clv as clv

BG = clv.BetaGeoResults.from_params({"r": 0.5, "alpha": 6.0, "a": 0.7, "b": 2.5})
PN = clv.ParetoNBDResults.from_params({"r": 0.6, "alpha": 8.0, "s": 0.8, "beta": 12.0})
HIST = pd.DataFrame({"frequency": [0, 1, 4, 4, 12], "recency": [0.0, 2.0, 5.0, 30.0, 38.0],
                     "T": [10.0, 40.0, 40.0, 40.0, 40.0]}, index=list("abcde"))


def test_bgnbd_prob_alive_is_one_without_repeat_purchase():
    data = pd.DataFrame({"frequency": [0, 0, 0], "recency": [0.0, 0.0, 0.0], "T": [0.0, 5.0, 500.0]})
    np.testing.assert_array_equal(BG.prob_alive(data), 1.0)


@pytest.mark.parametrize("res", [BG, PN], ids=["bgnbd", "paretonbd"])
def test_expected_purchases_grow_with_t_and_start_at_zero(res):
    grid = [0.0, 1.0, 5.0, 26.0, 52.0, 520.0]
    values = np.column_stack([res.expected_purchases(t, HIST) for t in grid])
    np.testing.assert_array_equal(values[:, 0], 0.0)
    assert np.all(np.diff(values, axis=1) > 0)
    new = res.expected_purchases_new_customer(np.array(grid))
    assert new[0] == 0 and np.all(np.diff(new) > 0)
    assert isinstance(res.expected_purchases_new_customer(3.0), float)


@pytest.mark.parametrize("res", [BG, PN], ids=["bgnbd", "paretonbd"])
def test_prob_alive_falls_with_longer_silence(res):
    data = pd.DataFrame({"frequency": [4, 4, 4], "recency": [35.0, 20.0, 5.0], "T": [40.0] * 3})
    alive = res.prob_alive(data).to_numpy()
    assert np.all(np.diff(alive) < 0) and np.all((alive > 0) & (alive <= 1))
    assert list(res.prob_alive(HIST).index) == list("abcde")


@pytest.mark.parametrize(("res", "simulate"), [(BG, clv.simulate_bgnbd), (PN, clv.simulate_paretonbd)],
                         ids=["bgnbd", "paretonbd"])
def test_new_customer_predictions_match_simulation(res, simulate):
    n, t = 200_000, 30.0
    sim = simulate(n, res.params, t, seed=21)
    x = sim["frequency"].to_numpy()
    # mean: within 4 standard errors of the simulated mean (false alarm ~6e-5)
    assert abs(x.mean() - res.expected_purchases_new_customer(t)) < 4 * x.std() / math.sqrt(n)
    # distribution: P(X(t) = k) within 4 binomial standard errors for k = 0..9
    k = np.arange(10)
    p = res.prob_n_purchases(k, t)
    freq = np.bincount(x, minlength=10)[:10] / n
    assert np.all(np.abs(freq - p) < 4 * np.sqrt(p * (1 - p) / n) + 1e-12)
    total = res.prob_n_purchases(np.arange(2000), t).sum()
    np.testing.assert_allclose(total, 1.0, atol=1e-9)  # probabilities sum to one (quadrature ~1e-13)


@pytest.mark.parametrize(("res", "simulate"), [(BG, clv.simulate_bgnbd), (PN, clv.simulate_paretonbd)],
                         ids=["bgnbd", "paretonbd"])
def test_conditional_predictions_are_unbiased_under_the_truth(res, simulate):
    # law of total expectation: sum_i E[Y_i | history_i] estimates sum_i Y_i, and likewise for P(alive)
    n = 100_000
    T = np.random.default_rng(22).uniform(10, 52, n)
    sim = simulate(n, res.params, T, holdout=26.0, seed=23)
    y = sim["frequency_holdout"].to_numpy()
    pred = res.expected_purchases(26.0, sim)
    # 4 standard errors of the difference (residual spread estimated from the data)
    assert abs(pred.sum() - y.sum()) < 4 * np.std(y - pred) * math.sqrt(n)
    alive = sim["alive"].to_numpy()
    p = res.prob_alive(sim)
    assert abs(p.sum() - alive.sum()) < 4 * np.std(alive - p) * math.sqrt(n)


def _log_gamma_pdf(x, shape, rate):
    return shape * math.log(rate) + (shape - 1) * math.log(x) - rate * x - math.lgamma(shape)


def _bgnbd_conditional_by_integration(params, x, tx, T, t):
    """E[Y(t) | x, t_x, T] = E[alive branch * (1 - exp(-lam p t)) / p] / E[likelihood] over the prior."""
    r, alpha, a, b = params
    lb = math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)

    def prior(lam, p):
        return math.exp(_log_gamma_pdf(lam, r, alpha) + (a - 1) * math.log(p) + (b - 1) * math.log1p(-p) - lb)

    def alive_branch(lam, p):
        return (1 - p) ** x * lam**x * math.exp(-lam * T)

    def lik(lam, p):
        dead = p * (1 - p) ** (x - 1) * lam**x * math.exp(-lam * tx) if x > 0 else 0.0
        return (alive_branch(lam, p) + dead) * prior(lam, p)

    def num(lam, p):  # alive at T, then (1 - exp(-lam p t)) / p expected purchases in (T, T+t]
        return alive_branch(lam, p) * prior(lam, p) * -math.expm1(-lam * p * t) / p

    opts = {"epsabs": 0, "epsrel": 1e-9}
    return (integrate.dblquad(num, 1e-300, 1, 1e-300, np.inf, **opts)[0]
            / integrate.dblquad(lik, 1e-300, 1, 1e-300, np.inf, **opts)[0])


def _pnbd_conditional_by_integration(params, x, tx, T, t):
    r, alpha, s, beta = params

    def prior(lam, mu):
        return math.exp(_log_gamma_pdf(lam, r, alpha) + _log_gamma_pdf(mu, s, beta))

    def lik(mu, lam):
        k = lam + mu
        dead = lam**x * mu / k * (math.exp(-k * tx) - math.exp(-k * T))
        return (lam**x * math.exp(-k * T) + dead) * prior(lam, mu)

    def num(mu, lam):  # alive at T with rates (lam, mu): lam/mu (1 - exp(-mu t)) in (T, T+t]
        return lam**x * math.exp(-(lam + mu) * T) * lam / mu * -math.expm1(-mu * t) * prior(lam, mu)

    opts = {"epsabs": 0, "epsrel": 1e-9}
    return (integrate.dblquad(num, 1e-300, np.inf, 1e-300, np.inf, **opts)[0]
            / integrate.dblquad(lik, 1e-300, np.inf, 1e-300, np.inf, **opts)[0])


@pytest.mark.parametrize(
    ("results_class", "params", "reference"),
    [(clv.BetaGeoResults, (1.5, 6.0, 1.6, 2.5), _bgnbd_conditional_by_integration),
     (clv.ParetoNBDResults, (1.5, 6.0, 1.4, 9.0), _pnbd_conditional_by_integration)],
    ids=["bgnbd", "paretonbd"],
)
def test_conditional_expectation_by_posterior_integration(results_class, params, reference):
    res = results_class.from_params(params)
    for x, tx, T in [(0, 0.0, 15.0), (2, 9.0, 30.0), (6, 28.0, 30.0)]:
        got = res.expected_purchases(20.0, pd.DataFrame({"frequency": [x], "recency": [tx], "T": [T]})).iloc[0]
        # dblquad at 1e-9 relative for numerator and denominator
        np.testing.assert_allclose(got, reference(params, x, tx, T, 20.0), rtol=1e-7)


def test_bgnbd_expectation_near_a_equal_one_and_small_a_plus_b():
    # the hypergeometric closed form is singular at a = 1 and for a + b <= 1 (x = 0); the fallback
    # quadrature must agree with the closed form just outside those points
    data = pd.DataFrame({"frequency": [0, 3], "recency": [0.0, 20.0], "T": [30.0, 30.0]})
    near = clv.BetaGeoResults.from_params((0.8, 5.0, 1.0 + 1e-3, 2.0)).expected_purchases(26.0, data)
    at = clv.BetaGeoResults.from_params((0.8, 5.0, 1.0 + 1e-7, 2.0)).expected_purchases(26.0, data)
    np.testing.assert_allclose(at, near, rtol=2e-3)  # a moves by 1e-3: the value moves by ~1e-4
    inside = clv.BetaGeoResults.from_params((0.8, 5.0, 0.4, 0.6 + 1e-6))  # a + b - 1 = 1e-6
    outside = clv.BetaGeoResults.from_params((0.8, 5.0, 0.4, 0.61))
    np.testing.assert_allclose(inside.expected_purchases(26.0, data), outside.expected_purchases(26.0, data),
                               rtol=2e-2)  # b moves by 0.01
    assert np.all(np.isfinite(inside.expected_purchases_new_customer([1.0, 52.0])))


def test_sbg_survival_retention_and_lifetime():
    res = clv.ShiftedBetaGeometricResults.from_params({"alpha": 0.668, "beta": 3.806})
    t = np.arange(1, 30)
    assert res.survival(0) == 1.0
    np.testing.assert_allclose(res.survival(t), np.cumprod(res.retention(t)), rtol=1e-12)
    assert np.all(np.diff(res.retention(t)) > 0)  # heterogeneity: retention rises with tenure
    np.testing.assert_allclose(res.expected_lifetime(horizon=8), res.survival(np.arange(8)).sum(), rtol=1e-12)
    assert res.expected_lifetime() == np.inf  # alpha <= 1: heavy tail, infinite mean
    long_sum = res.expected_lifetime(horizon=20_000, discount_rate=0.1)
    np.testing.assert_allclose(res.expected_lifetime(discount_rate=0.1), long_sum, rtol=1e-12)
    finite = clv.ShiftedBetaGeometricResults.from_params({"alpha": 2.5, "beta": 3.0})
    # (alpha + beta - 1) / (alpha - 1); the sum's tail beyond 1e6 periods is ~1e-9 of the total
    np.testing.assert_allclose(finite.expected_lifetime(), finite.expected_lifetime(horizon=10**6), rtol=1e-8)


def test_gammagamma_expected_spend_shrinks_toward_population_mean():
    res = clv.GammaGammaResults.from_params({"p": 6.0, "q": 4.0, "v": 15.0})
    data = pd.DataFrame({"frequency": [0, 1, 5, 50], "monetary_value": [0.0, 100.0, 100.0, 100.0]})
    spend = res.expected_spend(data).to_numpy()
    assert spend[0] == pytest.approx(res.mean_spend) == pytest.approx(6 * 15 / 3)
    assert res.mean_spend < spend[1] < spend[2] < spend[3] < 100.0  # more history, more own weight
    np.testing.assert_allclose(spend[2], 6 * (15 + 5 * 100) / (6 * 5 + 4 - 1), rtol=1e-14)


def test_gammagamma_expected_spend_matches_simulation():
    truth = {"p": 6.0, "q": 4.0, "v": 15.0}
    n = 200_000
    freq = pd.Series(np.full(n, 3))
    sim = clv.simulate_gammagamma(freq, truth, seed=31)
    pred = clv.GammaGammaResults.from_params(truth).expected_spend(sim.assign(frequency=freq))
    # E[true mean spend | observed mean] is unbiased for the true mean spend: 4 standard errors
    diff = sim["true_mean_spend"] - pred
    assert abs(diff.mean()) < 4 * diff.std() / math.sqrt(n)
