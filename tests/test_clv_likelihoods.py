"""Known values of each likelihood, computed independently by numerical integration."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, special, stats

import retailkit.clv as clv
from retailkit.clv import _special

# Small hand-made BTYD data: a one-timer, a lapsed buyer, a recent heavy buyer, an early repeater.
HAND = pd.DataFrame({"frequency": [0, 1, 3, 5], "recency": [0.0, 3.0, 8.5, 2.0], "T": [10.0, 10.0, 12.0, 20.0]})


def _log_gamma_pdf(x, shape, rate):
    return shape * math.log(rate) + (shape - 1) * math.log(x) - rate * x - math.lgamma(shape)


def _bgnbd_by_integration(params, x, tx, T):
    """Mix the individual BG/NBD likelihood over lambda ~ Gamma(r, alpha) and p ~ Beta(a, b)."""
    r, alpha, a, b = params
    log_beta = math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)

    def individual(lam, p):  # plain floats: dblquad calls this ~1e5 times
        if lam <= 0 or p <= 0 or p >= 1:
            return 0.0
        alive = (1 - p) ** x * lam**x * math.exp(-lam * T)
        dead = p * (1 - p) ** (x - 1) * lam**x * math.exp(-lam * tx) if x > 0 else 0.0
        dens = math.exp(_log_gamma_pdf(lam, r, alpha) + (a - 1) * math.log(p) + (b - 1) * math.log1p(-p)
                        - log_beta)
        return (alive + dead) * dens

    value, _ = integrate.dblquad(individual, 0, 1, 0, np.inf, epsabs=0, epsrel=1e-9)
    return math.log(value)


def _pnbd_by_integration(params, x, tx, T):
    """Mix the individual Pareto/NBD likelihood over lambda ~ Gamma(r, alpha), mu ~ Gamma(s, beta)."""
    r, alpha, s, beta = params

    def individual(lam, mu):
        if lam <= 0 or mu <= 0:
            return 0.0
        k = lam + mu
        lik = lam**x * math.exp(-k * T) + lam**x * mu / k * (math.exp(-k * tx) - math.exp(-k * T))
        return lik * math.exp(_log_gamma_pdf(lam, r, alpha) + _log_gamma_pdf(mu, s, beta))

    value, _ = integrate.dblquad(individual, 0, np.inf, 0, np.inf, epsabs=0, epsrel=1e-9)
    return math.log(value)


@pytest.mark.parametrize("params", [(1.5, 3.0, 1.7, 2.5), (2.2, 8.0, 1.2, 4.0)])
def test_bgnbd_loglik_matches_double_integral(params):
    ours = clv.BetaGeo.loglikeobs(params, HAND).to_numpy()
    ref = [_bgnbd_by_integration(params, *row) for row in HAND.itertuples(index=False)]
    # dblquad is asked for 1e-9 relative accuracy; 1e-7 on the log leaves room for its error estimate
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-7)


@pytest.mark.parametrize("params", [(1.5, 3.0, 1.4, 6.0), (2.0, 4.0, 1.5, 2.0)])
def test_paretonbd_loglik_matches_double_integral(params):
    # both orderings of alpha and beta, i.e. both hypergeometric branches
    ours = clv.ParetoNBD.loglikeobs(params, HAND).to_numpy()
    ref = [_pnbd_by_integration(params, *row) for row in HAND.itertuples(index=False)]
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-7)  # as above: quadrature accuracy


def _log_window_by_quad(r, alpha, s, beta, x, tx, T):
    """log int_tx^T (alpha+u)^-(r+x) (beta+u)^-(s+1) du, scaled by its value at tx."""
    c = -(r + x) * np.log(alpha + tx) - (s + 1) * np.log(beta + tx)

    def f(u):
        return np.exp(-(r + x) * np.log(alpha + u) - (s + 1) * np.log(beta + u) - c)

    scale = (alpha + tx) / (r + x)  # e-folding length of the integrand near tx
    edges = np.unique(np.clip(tx + scale * np.array([0, 1, 4, 16, 64, 256, 1e3, 1e4]), tx, T))
    total = sum(integrate.quad(f, lo, hi, epsabs=0, epsrel=1e-12, limit=200)[0]
                for lo, hi in zip(edges[:-1], edges[1:], strict=True))
    return c + np.log(total)


def _pnbd_reference(params, x, tx, T):
    r, alpha, s, beta = params
    alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    died = np.log(s) + _log_window_by_quad(r, alpha, s, beta, x, tx, T)
    return (special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha) + s * np.log(beta)
            + np.logaddexp(alive, died))


def test_paretonbd_finite_for_heavy_buyers_where_textbook_formula_overflows():
    params = (0.55, 10.58, 0.61, 11.67)
    data = pd.DataFrame({"frequency": [132, 200, 500, 1000], "recency": [199.0, 150.0, 120.5, 200.0],
                         "T": [200.0] * 4})
    ours = clv.ParetoNBD.loglikeobs(params, data).to_numpy()
    assert np.all(np.isfinite(ours))
    ref = [_pnbd_reference(params, *row) for row in data.iloc[:3].itertuples(index=False)]
    # quad at 1e-12 relative; 1e-8 relative on a log-likelihood of a few hundred
    np.testing.assert_allclose(ours[:3], ref, rtol=1e-8)
    # t_x == T: the "died in (t_x, T]" branch is empty, only the alive term remains
    r, alpha, s, beta = params
    only_alive = (special.gammaln(r + 1000) - special.gammaln(r) + r * np.log(alpha) + s * np.log(beta)
                  - (r + 1000) * np.log(alpha + 200) - s * np.log(beta + 200))
    np.testing.assert_allclose(ours[3], only_alive, rtol=1e-12)
    # the textbook form with explicit powers overflows there: (alpha + t)^(r+s+x) = inf once
    # (r+s+x) log(alpha + t) > 709, i.e. from x = 132 at t around 200
    with np.errstate(all="ignore"):
        rsx = np.float64(r + s + 132)
        q1, q2 = np.float64(alpha + 199.0), np.float64(alpha + 200.0)
        a0 = (special.hyp2f1(rsx, s + 1, rsx + 1, (alpha - beta) / q1) / q1**rsx
              - special.hyp2f1(rsx, s + 1, rsx + 1, (alpha - beta) / q2) / q2**rsx)
        textbook = np.log(a0)
    assert not np.isfinite(textbook)


def test_paretonbd_finite_where_hyp2f1_overflows():
    # alpha << beta and a small t_x put z = (beta - alpha)/(beta + t_x) near 1 with b = r + x large:
    # hyp2f1 itself overflows and the log-difference of the two terms becomes NaN
    params = (1.5033, 0.79197, 3.0138, 97.102)
    x, tx, T = 258, 1.18711, 229.629
    r, alpha, s, beta = params
    with np.errstate(all="ignore"):
        h = special.hyp2f1(r + s + x, r + x, r + s + x + 1, (beta - alpha) / (beta + tx))
    assert not np.isfinite(h)
    ours = clv.ParetoNBD.loglikeobs(params, pd.DataFrame({"frequency": [x], "recency": [tx], "T": [T]}))
    np.testing.assert_allclose(ours.iloc[0], _pnbd_reference(params, x, tx, T), rtol=1e-8)


def test_hypergeometric_continued_fraction_against_series():
    # 2F1(1, b; c; z) = sum_n (b)_n/(c)_n z^n has positive terms, so a long float sum is accurate
    rng = np.random.default_rng(7)
    b = np.exp(rng.uniform(np.log(0.05), np.log(300), 60))
    c = b + 1 + np.exp(rng.uniform(np.log(0.05), np.log(30), 60)) - 0.9
    z = np.concatenate([rng.uniform(0, 0.9, 30), 1 - 10 ** rng.uniform(-3, -1, 30)])
    ref, ref_b, ref_c, ref_z = [], [], [], []
    for bi, ci, zi in zip(b, c, z, strict=True):
        n = np.arange(200_000)
        log_terms = special.gammaln(bi + n) - special.gammaln(bi) - special.gammaln(ci + n) + special.gammaln(ci)
        log_terms += n * np.log(zi)
        ref.append(special.logsumexp(log_terms))
        # derivatives of log F = log sum t_n: averages over the terms' shares of d log t_n
        share = np.exp(log_terms - ref[-1])
        ref_b.append(np.sum(share * (special.digamma(bi + n) - special.digamma(bi))))
        ref_c.append(-np.sum(share * (special.digamma(ci + n) - special.digamma(ci))))
        ref_z.append(np.sum(share * n) / zi)
    # the series reference itself carries ~1e-13 relative rounding after 2e5 terms
    np.testing.assert_allclose(_special.log_hyp2f1_one(b, c, z), ref, rtol=1e-11, atol=1e-12)
    # the derivatives carried through the continued fraction: same value, and the derivatives of
    # the series to the same accuracy (the digamma sums add a little rounding of their own)
    value, d_b, d_c, d_z = _special.log_hyp2f1_one(b, c, z, grad=True)
    np.testing.assert_array_equal(value, _special.log_hyp2f1_one(b, c, z))
    for ours, theirs in ((d_b, ref_b), (d_c, ref_c), (d_z, ref_z)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


def test_gammagamma_loglik_matches_integral_over_nu():
    params = (4.0, 3.0, 12.0)
    data = pd.DataFrame({"frequency": [1, 2, 7], "monetary_value": [10.0, 35.5, 18.2]})
    p, q, v = params

    def density(x, m):
        # mean of x Gamma(p, nu) spends is Gamma(p x, nu x); integrate over nu ~ Gamma(q, v)
        def f(nu):
            return stats.gamma.pdf(m, p * x, scale=1 / (nu * x)) * stats.gamma.pdf(nu, q, scale=1 / v)

        return np.log(integrate.quad(f, 0, np.inf, epsabs=0, epsrel=1e-11, limit=200)[0])

    ref = [density(x, m) for x, m in data.itertuples(index=False)]
    ours = clv.GammaGamma.loglikeobs(params, data).to_numpy()
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-8)  # quad accuracy on the log


def test_sbg_loglik_matches_integral_over_theta():
    params = (0.668, 3.806)
    data = pd.DataFrame({"recency": [1, 3, 7, 8], "T": [8, 8, 8, 8]})
    a, b = params

    def lik(recency, T):
        if recency < T:  # churned at renewal `recency`: survived recency - 1 renewals, then left
            def f(th):
                return th * (1 - th) ** (recency - 1) * stats.beta.pdf(th, a, b)
        else:  # still active after T - 1 renewals
            def f(th):
                return (1 - th) ** (T - 1) * stats.beta.pdf(th, a, b)
        return np.log(integrate.quad(f, 0, 1, epsabs=0, epsrel=1e-11, limit=200)[0])

    ref = [lik(*row) for row in data.itertuples(index=False)]
    np.testing.assert_allclose(clv.ShiftedBetaGeometric.loglikeobs(params, data), ref, rtol=0, atol=1e-8)


def _numeric_score(loglik, theta, h=1e-6):
    out = []
    for i in range(theta.size):
        e = np.zeros_like(theta)
        e[i] = h * theta[i]
        out.append((loglik(theta + e) - loglik(theta - e)) / (2 * e[i]))
    return np.array(out)


def test_analytic_gradients_match_finite_differences():
    from retailkit.clv import bgnbd, gammagamma, paretonbd

    rng = np.random.default_rng(3)
    sim = clv.simulate_bgnbd(300, (0.6, 3.0, 0.8, 2.5), rng.uniform(5, 40, 300), seed=4)
    x, tx, T = (sim[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    w = rng.integers(1, 4, 300).astype(float)
    lik = bgnbd._Likelihood(x, tx, T, w)
    theta = np.array([0.7, 2.5, 0.9, 3.1])
    # central differences with h = 1e-6 relative: truncation ~1e-12, rounding ~1e-16 * 1e3 / 1e-6
    np.testing.assert_allclose(lik.score(theta), _numeric_score(lik.loglik, theta), rtol=1e-6)

    # Pareto/NBD: the hypergeometric terms take a different form when alpha < beta, so both; one
    # customer bought last at the very end (an empty "died in (t_x, T]" window)
    x, tx = x.copy(), tx.copy()
    x[0], tx[0] = 3.0, T[0]
    pl = paretonbd._Likelihood(x, tx, T, w)
    for theta in (np.array([0.7, 12.0, 0.9, 3.1]), np.array([0.7, 2.5, 0.9, 31.0])):
        np.testing.assert_allclose(pl.score(theta), _numeric_score(pl.loglik, theta), rtol=1e-6)
        assert pl.loglik(theta) == pytest.approx(clv.ParetoNBD.loglikeobs(theta, pd.DataFrame(
            {"frequency": x, "recency": tx, "T": T})).to_numpy() @ w, rel=1e-12)

    rep = x > 0
    m = clv.simulate_gammagamma(x[rep], (5.0, 3.0, 10.0), seed=5)["monetary_value"].to_numpy()
    gl = gammagamma._Likelihood(x[rep], m, w[rep])
    theta = np.array([4.0, 2.5, 12.0])
    np.testing.assert_allclose(gl.score(theta), _numeric_score(gl.loglik, theta), rtol=1e-6)


def test_fit_on_patterns_equals_fit_on_rows():
    sim = clv.simulate_bgnbd(2000, (0.5, 4.0, 0.7, 2.0), 20.0, seed=11)
    sim["recency"] = np.ceil(sim["recency"])  # coarse recency: many repeated patterns
    data = sim[["frequency", "recency", "T"]]
    counted = data.value_counts().rename("n").reset_index()
    by_rows = clv.BetaGeo.fit(data)
    by_counts = clv.BetaGeo.fit(counted, weights="n")
    assert by_counts.nobs == by_rows.nobs == 2000
    assert by_rows.n_patterns == by_counts.n_patterns == len(counted)
    # same likelihood, same optimum: agreement to optimiser precision
    np.testing.assert_allclose(by_rows.params, by_counts.params, rtol=1e-6)
    np.testing.assert_allclose(by_rows.llf, by_counts.llf, rtol=1e-12)
    np.testing.assert_allclose(by_rows.bse, by_counts.bse, rtol=1e-4)
