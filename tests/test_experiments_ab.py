"""Randomised-test analyses: proportions, means, CUPED, power, SRM -- known answers and recovery of known effects."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.power import TTestIndPower
from statsmodels.stats.proportion import proportions_ztest

import retailkit as rk
from retailkit import experiments as ex


@pytest.fixture(scope="module")
def campaign():
    return ex.simulate_campaign(60_000, seed=7)


# --------------------------------------------------------------------------------- two proportions
def test_two_proportions_recovers_true_effect(campaign):
    res = ex.two_proportions(campaign, outcome="repurchased", arm="arm")
    truth = campaign["true_effect"].mean()  # sample average effect; the 95% interval covers it (seeded)
    assert res.ci_lower < truth < res.ci_upper
    assert res.significant and res.stat_name == "z"
    assert res.nobs == len(campaign)
    # the pooled z statistic is the textbook one (statsmodels' proportions_ztest pools the rates)
    counts = campaign.groupby("arm")["repurchased"].agg(["sum", "count"]).loc[["treatment", "control"]]
    z, p = proportions_ztest(counts["sum"].to_numpy(), counts["count"].to_numpy())
    assert res.statistic == pytest.approx(z, rel=1e-10) and res.pvalue == pytest.approx(p, rel=1e-8)
    # with 30k per arm Newcombe and Wald agree to the 4th decimal
    wald = ex.two_proportions(campaign, outcome="repurchased", arm="arm", ci_method="wald")
    assert wald.ci_lower == pytest.approx(res.ci_lower, abs=2e-4)
    assert "Newcombe" in res.ci_method and "Wald" in wald.ci_method
    assert res.lift == pytest.approx(res.effect / res.mean_control)
    assert res.lift_ci_lower < res.lift < res.lift_ci_upper


def test_two_proportions_aa_test_is_not_significant():
    aa = ex.simulate_campaign(20_000, effect_scale=0.0, seed=3)
    res = ex.two_proportions(aa, outcome="repurchased", arm="arm")
    assert res.ci_lower < 0 < res.ci_upper  # no effect: 0 inside (seeded draw; holds for 95% of seeds)


def test_results_are_immutable_and_tidy(campaign):
    res = ex.two_proportions(campaign, outcome="repurchased", arm="arm")
    with pytest.raises(AttributeError):
        res.effect = 1.0
    frame = res.to_frame()
    assert frame.shape[0] == 1 and {"difference", "ci_lower", "ci_upper", "pvalue", "lift"} <= set(frame.columns)
    assert frame.attrs["rows_left_out"] == {"arm missing": 0, "outcome missing": 0}
    assert list(res.conf_int().index) == ["difference", "lift"]
    text = str(res.summary())
    assert "Newcombe" in text and "relative lift" in text


def test_rows_left_out_are_counted(campaign):
    df = campaign.head(4000).copy()
    df.loc[df.index[:3], "arm"] = None
    df["repurchased"] = df["repurchased"].astype("float64")
    df.loc[df.index[10:15], "repurchased"] = np.nan
    with pytest.warns(rk.RowsLeftOutWarning, match="3 rows"):
        res = ex.two_proportions(df, outcome="repurchased", arm="arm")
    assert res.attrs["rows_left_out"] == {"arm missing": 3, "outcome missing": 5}
    assert res.nobs == 4000 - 8


# -------------------------------------------------------------------------------------- two means
def test_two_means_matches_scipy_welch_and_covers_truth(campaign):
    res = ex.two_means(campaign, outcome="spend", arm="arm")
    t = campaign.loc[campaign["arm"] == "treatment", "spend"]
    c = campaign.loc[campaign["arm"] == "control", "spend"]
    ref = stats.ttest_ind(t, c, equal_var=False)
    assert res.statistic == pytest.approx(ref.statistic, rel=1e-10)
    assert res.pvalue == pytest.approx(ref.pvalue, rel=1e-8)
    ci = ref.confidence_interval(0.95)
    assert (res.ci_lower, res.ci_upper) == pytest.approx((ci.low, ci.high), rel=1e-8)
    truth = campaign["true_spend_effect"].mean()
    assert res.ci_lower < truth < res.ci_upper


# ------------------------------------------------------------------------------------------ CUPED
def test_cuped_recovers_effect_with_narrower_interval(campaign):
    res = ex.cuped(campaign, outcome="spend", covariate="pre_spend", arm="arm")
    truth = campaign["true_spend_effect"].mean()
    assert res.ci_lower < truth < res.ci_upper
    x = res.extra
    assert x["ci_width_ratio"] < 0.6  # corr(spend, pre_spend) ~ 0.89 removes ~79% of the variance
    assert x["variance_reduction"] == pytest.approx(x["correlation"] ** 2, abs=0.02)
    assert x["unadjusted_effect"] == pytest.approx(ex.two_means(campaign, outcome="spend", arm="arm").effect)
    pooled = np.cov(campaign["spend"], campaign["pre_spend"])
    assert x["theta"] == pytest.approx(pooled[0, 1] / pooled[1, 1], rel=1e-10)


def test_cuped_is_unbiased_and_covers_in_repeated_experiments():
    # 200 seeded experiments of 2,000 customers: the mean CUPED estimate must sit within 3 Monte Carlo
    # standard errors of the true average effect (a bias test with ~0.3% false-alarm rate), and the
    # 95% intervals must cover the truth in 90-99% of runs (binomial(200, .95) lies there w.p. > 99.5%).
    est, covered, narrower = [], 0, 0
    for r in range(200):
        df = ex.simulate_campaign(2_000, seed=1000 + r)
        res = ex.cuped(df, outcome="spend", covariate="pre_spend", arm="arm")
        truth = df.attrs["true_ate_spend"]
        est.append(res.effect - truth)
        covered += res.ci_lower <= truth <= res.ci_upper
        narrower += res.extra["ci_width_ratio"] < 1
    est = np.array(est)
    assert abs(est.mean()) < 3 * est.std(ddof=1) / np.sqrt(len(est))
    assert 180 <= covered <= 198
    assert narrower == 200


# ------------------------------------------------------------------------------------------- power
def test_sample_size_reproduces_the_6507_figure():
    n = ex.sample_size_proportions(0.20, 0.22, alpha=0.05, power=0.8)
    assert n.n_exact == pytest.approx(6507.33, abs=0.01)  # "about 6,507 customers per arm"
    assert round(n.n_exact) == 6507
    assert n.n_control == n.n_treatment == 6508 and n.total == 13016  # whole customers: rounded up
    assert n.effect_size == pytest.approx(0.049115, abs=1e-6)  # Cohen's h
    assert ex.power_proportions(0.20, 0.22, 6508) >= 0.8 > ex.power_proportions(0.20, 0.22, 6507)
    # statsmodels' root finder (brentq on power) stops within ~1e-5 of the root: compare to 1e-4
    assert ex.minimum_detectable_effect(n.n_exact, p_control=0.20) == pytest.approx(0.02, abs=1e-4)
    assert "6,507.3" in str(n.summary())


def test_power_helpers_agree_with_statsmodels():
    twice = ex.sample_size_proportions(0.20, 0.22, ratio=2)
    assert twice.n_treatment == pytest.approx(2 * twice.n_exact, abs=1)
    means = ex.sample_size_means(difference=2.0, sd=20.0)
    assert means.n_exact == pytest.approx(TTestIndPower().solve_power(0.1, alpha=0.05, power=0.8), rel=1e-9)
    assert ex.power_means(2.0, 20.0, means.n_control) >= 0.8
    mde = ex.minimum_detectable_effect(means.n_exact, sd=20.0)
    assert mde == pytest.approx(2.0, rel=1e-4)
    curve = ex.power_curve(0.20, [0.21, 0.22], n_control=[1000, 6508, 20000])
    assert curve.shape == (6, 6) and curve["power"].is_monotonic_increasing is False
    assert curve.groupby("p_treatment")["power"].apply(lambda s: s.is_monotonic_increasing).all()
    one_sided = ex.sample_size_proportions(0.20, 0.22, alternative="larger")
    assert one_sided.n_control < 6508


# --------------------------------------------------------------------------------------------- SRM
def test_srm_flags_52_48_on_100k_and_passes_a_fair_split():
    bad = pd.DataFrame({"arm": ["treatment"] * 52_000 + ["control"] * 48_000})
    res = ex.srm_check(bad, arm="arm", expected_shares={"treatment": 0.5, "control": 0.5})
    assert res.mismatch and res.statistic == pytest.approx(160.0) and res.pvalue < 1e-30
    assert "mismatch" in res.verdict.lower() and "treatment" in res.verdict
    assert res.counts.set_index("arm")["observed"].to_dict() == {"treatment": 52_000, "control": 48_000}
    rng = np.random.default_rng(5)
    fair = pd.DataFrame({"arm": np.where(rng.random(100_000) < 0.5, "treatment", "control")})
    ok = ex.srm_check(fair, arm="arm", expected_shares={"treatment": 1, "control": 1})
    assert not ok.mismatch and ok.pvalue > 0.001 and "No sample ratio mismatch" in ok.verdict
    # a designed 1:2 split is judged against its own design
    uneven = pd.DataFrame({"arm": np.where(rng.random(30_000) < 1 / 3, "treatment", "control")})
    assert not ex.srm_check(uneven, arm="arm", expected_shares={"treatment": 1, "control": 2}).mismatch
    assert ex.srm_check(uneven, arm="arm", expected_shares={"treatment": 1, "control": 1}).mismatch
