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
