"""Property tests: the likelihoods and predictions stay finite and sane over wide parameter ranges.

Derandomized (a fixed example sequence), so the suite is deterministic like the seeded tests.
"""

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

import retailkit.clv as clv

positive = st.floats(0.02, 50.0)
scale = st.floats(0.01, 500.0)


def _history(x, frac, T):
    return pd.DataFrame({"frequency": [0, x], "recency": [0.0, frac * T], "T": [T, T]})


@settings(max_examples=60, deadline=None, derandomize=True)
@given(r=positive, alpha=scale, s=positive, beta=scale, x=st.integers(1, 3000),
       frac=st.floats(1e-4, 1.0), T=st.floats(0.5, 600.0))
def test_paretonbd_loglik_and_predictions_finite(r, alpha, s, beta, x, frac, T):
    data = _history(x, frac, T)
    ll = clv.ParetoNBD.loglikeobs((r, alpha, s, beta), data)
    assert np.all(np.isfinite(ll))
    res = clv.ParetoNBDResults.from_params((r, alpha, s, beta))
    alive = res.prob_alive(data)
    assert np.all((alive >= 0) & (alive <= 1))
    e1, e2 = res.expected_purchases(10.0, data), res.expected_purchases(50.0, data)
    # non-decreasing in t up to rounding (with a fast drop-out both are flat at the same value)
    assert np.all(np.isfinite(e2)) and np.all(e2 >= e1 * (1 - 1e-9)) and np.all(e1 >= 0)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(r=positive, alpha=scale, a=positive, b=positive, x=st.integers(1, 3000),
       frac=st.floats(1e-4, 1.0), T=st.floats(0.5, 600.0))
def test_bgnbd_loglik_and_predictions_finite(r, alpha, a, b, x, frac, T):
    data = _history(x, frac, T)
    assert np.all(np.isfinite(clv.BetaGeo.loglikeobs((r, alpha, a, b), data)))
    res = clv.BetaGeoResults.from_params((r, alpha, a, b))
    alive = res.prob_alive(data)
    assert alive.iloc[0] == 1.0 and 0 <= alive.iloc[1] <= 1
    e1, e2 = res.expected_purchases(10.0, data), res.expected_purchases(50.0, data)
    # non-decreasing in t up to the ~1e-10 relative accuracy of the hypergeometric function
    assert np.all(np.isfinite(e2)) and np.all(e2 >= e1 * (1 - 1e-9)) and np.all(e1 >= 0)


def _fits(data):
    """Every model fitted to ``data`` (a simulated BG/NBD history with spend and an sBG cohort)."""
    hist, cohort = data
    rep = hist[hist["frequency"] > 0]
    return {
        "BetaGeo": clv.BetaGeo.fit(hist),
        "ParetoNBD": clv.ParetoNBD.fit(hist),
        "GammaGamma": clv.GammaGamma.fit(rep),
        "ShiftedBetaGeometric": clv.ShiftedBetaGeometric.fit(cohort),
    }


def test_fits_do_not_depend_on_the_order_of_the_customers():
    """A summary is a set of customers: sorting it by spend, or shuffling it, must not move the
    estimates.  The fits work on distinct patterns kept in sorted order, so they do the same
    arithmetic and agree to the last bit (a tolerance would hide an order-dependent optimiser)."""
    hist = clv.simulate_bgnbd(3000, {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5},
                              T=np.tile([26.0, 39.0, 52.0], 1000), seed=11)
    hist["monetary_value"] = np.nan
    rep = hist["frequency"] > 0
    hist.loc[rep, "monetary_value"] = clv.simulate_gammagamma(
        hist.loc[rep, "frequency"], {"p": 6.0, "q": 4.0, "v": 15.0}, seed=12)["monetary_value"].to_numpy()
    cohort = clv.simulate_sbg(2000, {"alpha": 0.7, "beta": 2.0}, T=8, seed=13)[["recency", "T"]]
    base = _fits((hist, cohort))
    rng = np.random.default_rng(14)
    for shuffled in ((hist.iloc[rng.permutation(len(hist))], cohort.iloc[rng.permutation(len(cohort))]),
                     (hist.sort_values("monetary_value"), cohort.sort_values("recency", ascending=False))):
        for name, res in _fits(shuffled).items():
            assert np.array_equal(res.params.to_numpy(), base[name].params.to_numpy()), name
            assert res.llf == base[name].llf, name
            assert res.converged == base[name].converged, name
