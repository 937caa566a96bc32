"""Difference-in-differences: TWFE against the dummy regression, recovery of known effects, the staggered-adoption
bias, and the group-time estimator that avoids it."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import statsmodels.formula.api as smf  # noqa: E402

import retailkit as rk  # noqa: E402
from retailkit import experiments as ex  # noqa: E402

KW = dict(unit="store_id", period="period", outcome="outcome", first_treated="first_treated",
          true_effect="true_effect")


def covers(lo, hi, truth):
    return (np.asarray(lo) <= np.asarray(truth)) & (np.asarray(truth) <= np.asarray(hi))


@pytest.fixture(scope="module")
def constant():
    return ex.simulate_rollout(effect="constant", seed=3)


@pytest.fixture(scope="module")
def growing():
    return ex.simulate_rollout(effect="growing", seed=3)


# --------------------------------------------------------------------------------------------- TWFE
@pytest.mark.parametrize("drop", [0.0, 0.1])
def test_twfe_equals_the_dummy_regression(drop):
    # the within transform is exact (Frisch-Waugh-Lovell), also on an unbalanced panel (10% rows dropped)
    panel = ex.simulate_rollout(n_units=40, n_periods=12, cohorts=(5, 8), seed=4)
    panel = panel.sample(frac=1 - drop, random_state=1) if drop else panel
    res = ex.twfe(panel, **KW)
    panel = panel.assign(treated=lambda d: (d["period"] >= d["first_treated"]).astype(float))
    ref = smf.ols("outcome ~ treated + C(store_id) + C(period)", panel).fit(
        cov_type="cluster", cov_kwds={"groups": panel["store_id"]}, use_t=True)
    assert res.params["treated"] == pytest.approx(ref.params["treated"], rel=1e-9)
    # same sandwich; statsmodels' dummy fit counts all N - K_all residual df, ours (as reghdfe/fixest) does not
    # count the unit dummies nested in the unit clusters: the variances differ by exactly that ratio
    n, k_all = len(panel), ref.df_model + 1
    k_ours = 1 + 11  # the treated dummy + (periods - 1) period dummies
    assert res.bse["treated"] == pytest.approx(ref.bse["treated"] * np.sqrt((n - k_all) / (n - k_ours)), rel=1e-7)


def test_twfe_recovers_a_constant_effect_and_periods_may_be_pandas_periods(constant):
    res = ex.twfe(constant, **KW)
    lo, hi = res.conf_int().loc["treated"]
    assert lo < 2.0 < hi and res.to_frame()["truth"].iloc[0] == 2.0
    # the same panel with calendar months as pandas Periods gives the same answer
    months = pd.period_range("2022-01", periods=36, freq="M")
    as_periods = constant.assign(period=months[constant["period"] - 1],
                                 first_treated=pd.PeriodIndex(
                                     [months[int(g) - 1] if g == g else pd.NaT for g in constant["first_treated"]],
                                     freq="M"))
    assert ex.twfe(as_periods, **KW).params["treated"] == pytest.approx(res.params["treated"], rel=1e-12)
    gt = ex.group_time_att(as_periods, **KW)
    assert isinstance(gt.att_gt["cohort"].iloc[0], pd.Period)
    assert gt.overall == pytest.approx(ex.group_time_att(constant, **KW).overall, rel=1e-12)


def test_event_study_with_constant_effect(constant):
    es = ex.event_study(constant, leads=4, lags=8, **KW)
    t = es.to_frame()
    assert t["term"].tolist()[:4] == ["<=-4", "-3", "-2", "-1"] and t["term"].iloc[-1] == ">=8"
    ref = t[t["reference"]]
    assert len(ref) == 1 and ref["estimate"].iloc[0] == 0 and ref["event_time"].iloc[0] == -1
    post = t[t["event_time"] >= 0]
    # 9 post-adoption 95% intervals around the true 2.0: allow one miss
    assert covers(post["ci_lower"], post["ci_upper"], 2.0).sum() >= 8
    assert es.attrs["pretrend_pvalue"] > 0.05  # parallel trends hold by construction (seeded)
    assert (t.loc[~t["reference"], "n_obs"] > 0).all()
    assert "pre-trends" in str(es.summary())


# -------------------------------------------------------------------------------- staggered adoption
def test_staggered_growing_effects_bias_twfe_but_not_group_time(growing):
    cmp = ex.compare_did(growing, **KW).set_index("estimator")
    truth = cmp["truth"].iloc[0]
    assert truth == pytest.approx(growing.loc[growing["true_effect"] > 0, "true_effect"].mean())
    tw, gt = cmp.iloc[0], cmp.iloc[1]
    assert not tw["covers_truth"] and tw["bias"] < -0.3  # TWFE understates the average effect by about a third
    assert gt["covers_truth"]


def test_group_time_profile_covers_the_true_dynamics(growing):
    res = ex.group_time_att(growing, **KW)
    ev = res.event
    post = ev[ev["event_time"] >= 0]
    # 24 post-adoption event times, 95% intervals: at least 20 must cover (P(binomial(24,.95) < 20) < 3%)
    assert covers(post["ci_lower"], post["ci_upper"], post["truth"]).sum() >= 20
    pre = ev[ev["event_time"] < -1]
    assert covers(pre["ci_lower"], pre["ci_upper"], 0).mean() > 0.85  # placebos: no effect before adoption
    assert res.ci_lower < res.truth < res.ci_upper
    assert ev.loc[ev["reference"], "estimate"].tolist() == [0.0]
    frame = res.to_frame()
    assert {"event_time", "term", "estimate", "ci_lower"} <= set(frame.columns)
    assert res.to_frame("overall")["estimate"].iloc[0] == res.overall


def test_group_time_cells_are_plain_two_by_two_comparisons(growing):
    res = ex.group_time_att(growing, **KW)
    cells = res.att_gt.set_index(["cohort", "period"])
    wide = growing.pivot(index="store_id", columns="period", values="outcome")
    g_of = growing.groupby("store_id")["first_treated"].first()
    for g, t in [(13, 13), (19, 30), (25, 5), (13, 24)]:
        change = wide[t] - wide[g - 1]
        treated = change[g_of == g].mean()
        controls = change[g_of.isna() | ((g_of > max(t, g - 1)) & (g_of != g))].mean()
        assert cells.loc[(g, t), "att"] == pytest.approx(treated - controls, rel=1e-10)
    # never-treated controls only: the same formula with fewer controls
    never = ex.group_time_att(growing, control_group="never_treated", **KW).att_gt.set_index(["cohort", "period"])
    change = wide[30] - wide[18]
    assert never.loc[(19, 30), "att"] == pytest.approx(change[g_of == 19].mean() - change[g_of.isna()].mean())


def test_bootstrap_is_seeded_and_agrees_with_the_influence_function(growing):
    a = ex.group_time_att(growing, se="bootstrap", seed=5, n_boot=999, **KW)
    b = ex.group_time_att(growing, se="bootstrap", seed=5, n_boot=999, **KW)
    analytic = ex.group_time_att(growing, **KW)
    pd.testing.assert_frame_equal(a.event, b.event)
    assert a.overall == analytic.overall
    # 999 draws estimate a standard error to about +/-5% (IQR-based): allow 15%
    assert a.bse == pytest.approx(analytic.bse, rel=0.15)
    ev = a.event.dropna(subset=["band_lower"])
    assert (ev["band_upper"] - ev["band_lower"] > ev["ci_upper"] - ev["ci_lower"]).all()  # uniform band is wider


def test_missing_outcomes_are_left_out_and_counted(constant):
    panel = constant.copy()
    panel.loc[panel.index[[3, 50, 700]], "outcome"] = np.nan
    with pytest.warns(rk.RowsLeftOutWarning, match="3 rows"):
        res = ex.twfe(panel, **KW)
    assert res.attrs["rows_left_out"] == {"outcome missing": 3} and res.nobs == len(panel) - 3
    with pytest.warns(rk.RowsLeftOutWarning):
        gt = ex.group_time_att(panel, **KW)
    assert np.isfinite(gt.overall)


def test_always_treated_units_are_reported(constant):
    panel = constant.copy()
    panel.loc[panel["store_id"] <= 3, "first_treated"] = 1.0
    gt = ex.group_time_att(panel, **KW)
    assert gt.attrs["units"]["left out (no pre-period)"] == 3
    assert gt.n_units == 197


def test_plot_event_study_overlays_estimators(growing):
    es = ex.event_study(growing, leads=4, lags=12, **KW)
    gt = ex.group_time_att(growing, se="bootstrap", seed=1, n_boot=200, **KW)
    ax = ex.plot_event_study({"TWFE event study": es, "group-time ATT": gt})
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert {"TWFE event study", "group-time ATT", "true effect"} <= set(labels)
    assert ax.get_title() and "adoption" in ax.get_xlabel()
    plt.close(ax.figure)


# ---------------------------------------------------------------------------- Goodman-Bacon decomposition
BACON_KW = dict(unit="store_id", period="period", outcome="outcome", first_treated="first_treated")


@pytest.mark.parametrize("shape", [dict(), dict(cohorts=(1, 13, 25)), dict(never_treated_share=0.0),
                                   dict(cohorts=(5, 6, 30), n_periods=30)])
def test_bacon_weights_add_up_to_one_and_the_two_by_twos_to_twfe(shape):
    """Theorem 1 of Goodman-Bacon (2021): on a balanced panel the TWFE coefficient *is* the
    weighted average of the 2x2s.  Checked against :func:`twfe`'s own estimate, with always-treated
    units, without never-treated ones, and with adoption in the last period (an identity: only
    rounding separates the two)."""
    df = ex.simulate_rollout(**shape, seed=4)
    bacon = ex.bacon_decomposition(df, **BACON_KW)
    beta = ex.twfe(df, **BACON_KW).params["treated"]
    assert bacon["weight"].sum() == pytest.approx(1.0, abs=1e-12)
    assert (bacon["weight"] > 0).all()
    assert float((bacon["weight"] * bacon["estimate"]).sum()) == pytest.approx(beta, rel=1e-10)
    assert bacon.attrs["twfe"] == pytest.approx(beta, rel=1e-12)
    assert set(bacon["comparison"]) <= set(ex.BACON_COMPARISONS)


def test_bacon_two_by_two_by_hand():
    """Two stores, four periods: store A adopts in period 3, store B never.  The only comparison is
    the classic DiD: A's mean after (periods 3-4) minus before (1-2), minus the same for B."""
    df = pd.DataFrame({"store_id": ["A"] * 4 + ["B"] * 4, "period": [1, 2, 3, 4] * 2,
                       "first_treated": [3.0] * 4 + [np.nan] * 4,
                       "outcome": [1.0, 2.0, 6.0, 8.0, 1.0, 1.5, 2.5, 3.0]})
    bacon = ex.bacon_decomposition(df, **BACON_KW)
    assert len(bacon) == 1 and bacon["weight"].iloc[0] == 1.0
    assert bacon["comparison"].iloc[0] == "treated vs never treated"
    assert bacon["treated"].iloc[0] == "3" and bacon["control"].iloc[0] == "never treated"
    assert bacon["estimate"].iloc[0] == pytest.approx((7.0 - 1.5) - (2.75 - 1.25))


def test_bacon_shows_where_twfe_loses_a_growing_effect():
    """Without noise every 2x2 is exact arithmetic on the true effects.  A constant effect (2.0):
    every comparison recovers it.  A growing one: the comparisons against already-treated stores
    subtract the controls' own growth, so they sit far below the clean ones -- that is the bias."""
    flat = ex.bacon_decomposition(ex.simulate_rollout(effect="constant", noise=0.0, seed=5), **BACON_KW)
    np.testing.assert_allclose(flat["estimate"], 2.0, rtol=1e-9)
    grow = ex.bacon_decomposition(ex.simulate_rollout(effect="growing", noise=0.0, seed=5), **BACON_KW)
    by = grow.attrs["by_comparison"]
    forbidden = by["later vs earlier (already treated) control"]
    assert forbidden["estimate"] < 0.5 * by["treated vs never treated"]["estimate"]
    assert forbidden["weight"] > 0.15  # the three cohorts give them a fifth of the weight


def test_bacon_refuses_an_unbalanced_panel(growing):
    with pytest.raises(rk.InputError, match="balanced panel.*1 unit"):
        ex.bacon_decomposition(growing.drop(index=growing.index[5]), **BACON_KW)


def test_always_treated_units_are_comparisons_for_twfe_not_for_group_time():
    """Five stores treated from the first period, five adopting in period 4, none never treated.
    TWFE is identified (the always-treated trace the period effects; the dummy regression has full
    rank) and the decomposition is the single later-vs-already-treated 2x2.  Group-time effects
    compare only with untreated stores, so there it is an identification error."""
    rng = np.random.default_rng(6)
    units, periods = np.repeat(np.arange(10), 6), np.tile(np.arange(1, 7), 10)
    first = np.where(units < 5, 1.0, 4.0)
    df = pd.DataFrame({"store_id": units, "period": periods, "first_treated": first,
                       "outcome": rng.normal(size=60) + 0.5 * (periods >= first)})
    tw = ex.twfe(df, **BACON_KW)
    dummies = smf.ols("outcome ~ treated + C(store_id) + C(period)",
                      data=df.assign(treated=(df["period"] >= df["first_treated"]).astype(float))).fit()
    assert tw.params["treated"] == pytest.approx(dummies.params["treated"], rel=1e-9)
    bacon = ex.bacon_decomposition(df, **BACON_KW)
    assert bacon["comparison"].tolist() == ["later vs earlier (already treated) control"]
    assert bacon["control"].iloc[0] == "always treated" and bacon["weight"].iloc[0] == 1.0
    assert bacon["estimate"].iloc[0] == pytest.approx(tw.params["treated"], rel=1e-9)
    with pytest.raises(rk.IdentificationError, match="none is never treated"):
        ex.group_time_att(df, **BACON_KW)
