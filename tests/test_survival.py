"""Tests of retailkit.survival: hand examples, agreement with statsmodels/scipy, recovery, bad input, plots."""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from scipy import stats  # noqa: E402

import retailkit as rk  # noqa: E402
import retailkit.survival as sv  # noqa: E402
from retailkit._logs import RowsLeftOutWarning  # noqa: E402
from retailkit.errors import IdentificationError, InputError, SchemaError  # noqa: E402
from retailkit.theme import color_for  # noqa: E402

# A small two-group example worked by hand below ("+" = censored):
#   A: 1, 3, 3+, 5, 8+        B: 2, 4, 4, 6+, 7
HAND = pd.DataFrame({
    "duration": [1, 3, 3, 5, 8, 2, 4, 4, 6, 7],
    "event": [1, 1, 0, 1, 0, 1, 1, 1, 0, 1],
    "group": ["A"] * 5 + ["B"] * 5,
})


def weibull_ph(n: int, rng, *, shape: float = 1.5, scale: float = 10.0, censor: float = 25.0) -> pd.DataFrame:
    """Proportional-hazards data with S(t | x) = exp(-(t / scale)^shape * exp(eta)),
    eta = 0.5 x + 0.6 [g = b] - 0.4 [g = c]; uniform censoring on (0, censor)."""
    x = rng.normal(size=n)
    g = rng.choice(["a", "b", "c"], n)
    eta = 0.5 * x + np.select([g == "b", g == "c"], [0.6, -0.4], 0.0)
    t = scale * (rng.exponential(size=n) / np.exp(eta)) ** (1 / shape)
    c = rng.uniform(0, censor, n)
    return pd.DataFrame({"x": x, "g": g, "duration": np.minimum(t, c), "event": t <= c})


TRUE_BETA = pd.Series({"C(g)[T.b]": 0.6, "C(g)[T.c]": -0.4, "x": 0.5})


# ------------------------------------------------------------------------------- hand examples
def test_kaplan_meier_hand_example():
    km = sv.kaplan_meier(HAND[HAND["group"] == "A"])
    # Group A.  Event times 1, 3, 5 (3+ and 8+ are censored).
    #   t=1: at risk 5 (all), 1 event  -> S = 4/5             = 0.8
    #   t=3: at risk 4 (3, 3+, 5, 8+), 1 event -> S = 0.8 * 3/4 = 0.6   (3+ is at risk at 3: duration >= 3)
    #   t=5: at risk 2 (5, 8+), 1 event -> S = 0.6 * 1/2       = 0.3
    assert km["time"].tolist() == [1, 3, 5]
    assert km["at_risk"].tolist() == [5, 4, 2]
    assert km["events"].tolist() == [1, 1, 1]
    np.testing.assert_allclose(km["survival"], [0.8, 0.6, 0.3], rtol=1e-12)
    # Greenwood: Var S(t) = S(t)^2 * sum d / (n (n - d))
    #   t=1: 0.64 * 1/20                 = 0.032
    #   t=3: 0.36 * (1/20 + 1/12)        = 0.048
    #   t=5: 0.09 * (1/20 + 1/12 + 1/2)  = 0.057
    np.testing.assert_allclose(km["std_err"] ** 2, [0.032, 0.048, 0.057], rtol=1e-12)
    # log-log band at t=3: sd = se / (S |log S|) = sqrt(0.048) / (0.6 * 0.5108256) = 0.714820;
    # lower = 0.6 ** exp(1.959964 * sd) = 0.6 ** 4.0594 = 0.1257, upper = 0.6 ** exp(-1.401) = 0.6 ** 0.2463 = 0.8818
    sd = np.sqrt(0.048) / (0.6 * -np.log(0.6))
    z = stats.norm.ppf(0.975)
    row = km.iloc[1]
    assert row["ci_lower"] == pytest.approx(0.6 ** np.exp(z * sd), rel=1e-12)
    assert row["ci_upper"] == pytest.approx(0.6 ** np.exp(-z * sd), rel=1e-12)
    assert (row["ci_lower"], row["ci_upper"]) == pytest.approx((0.1257, 0.8818), abs=1e-4)  # the numbers
    # median: the first event time where S < 1/2 is 5 (S(3) = 0.6, S(5) = 0.3)
    med = pd.DataFrame(km.attrs["median"])
    assert med["median"].iloc[0] == 5
    assert med["ci_lower"].iloc[0] <= 5 <= med["ci_upper"].iloc[0]
    assert med[["n", "events", "max_time"]].iloc[0].tolist() == [5, 3, 8]


def test_logrank_hand_example():
    res = sv.logrank_test(HAND, group_col="group")
    # Pooled event times; n_A, n_B at risk; d events; E_A = d n_A / n; V = d (n_A/n)(n_B/n)(n-d)/(n-1)
    #   t=1: 5, 5, d=1 (A): E_A = 5/10 = 1/2,  V = 1/4
    #   t=2: 4, 5, d=1 (B): E_A = 4/9,         V = (4/9)(5/9)      = 20/81
    #   t=3: 4, 4, d=1 (A): E_A = 1/2,         V = 1/4
    #   t=4: 2, 4, d=2 (B): E_A = 2*2/6 = 2/3, V = 2 (2/6)(4/6)(4/5) = 16/45
    #   t=5: 2, 2, d=1 (A): E_A = 1/2,         V = 1/4
    #   t=7: 1, 1, d=1 (B): E_A = 1/2,         V = 1/4
    # O_A = 3, E_A = 2 + 4/9 + 2/3 = 28/9, O_A - E_A = -1/9; V = 1 + 20/81 + 16/45 = 649/405
    # chi2 = (1/81) / (649/405) = 5/649 = 0.0077042
    assert res.statistic == pytest.approx(5 / 649, rel=1e-10)
    assert res.df == 1
    assert res.p_value == pytest.approx(stats.chi2.sf(5 / 649, 1), rel=1e-10)
    table = res.table.set_index("group")
    assert table["observed"].tolist() == [3, 4]
    np.testing.assert_allclose(table["expected"], [28 / 9, 35 / 9], rtol=1e-12)
    np.testing.assert_allclose(table["observed_minus_expected"], [-1 / 9, 1 / 9], rtol=1e-10)
    assert "chi2 = 0.0077" in res.summary()
    assert res.to_series()["df"] == 1


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_logrank_matches_scipy(seed):
    rng = np.random.default_rng(seed)
    # whole-day durations so that there are ties, within and across groups, and censoring
    a = np.ceil(rng.exponential(20, 150))
    b = np.ceil(rng.exponential(28, 120))
    ca, cb = rng.random(150) < 0.3, rng.random(120) < 0.3  # censored
    df = pd.DataFrame({"duration": np.r_[a, b], "event": ~np.r_[ca, cb], "arm": ["a"] * 150 + ["b"] * 120})
    ours = sv.logrank_test(df, group_col="arm")
    ref = stats.logrank(stats.CensoredData.right_censored(a, ca), stats.CensoredData.right_censored(b, cb))
    # scipy reports the signed z; its square is the chi-square statistic
    assert ours.statistic == pytest.approx(ref.statistic**2, rel=1e-10)
    assert ours.p_value == pytest.approx(ref.pvalue, rel=1e-8)


def test_kaplan_meier_by_group_and_survival_at():
    km = sv.kaplan_meier(HAND, by="group")
    assert km.columns.tolist() == ["group", "time", "at_risk", "events", "survival", "std_err", "ci_lower",
                                   "ci_upper"]
    # group B: t=2 (5 at risk) -> 4/5; t=4 (4 at risk, 2 events) -> 0.8 * 2/4 = 0.4; t=7 (1 at risk) -> 0
    b = km[km["group"] == "B"]
    np.testing.assert_allclose(b["survival"], [0.8, 0.4, 0.0])
    assert np.isnan(b["ci_lower"].iloc[-1])  # no log-log interval at S = 0
    at = sv.survival_at(km, [0, 2.5, 7.5, 9])
    a_vals = at[at["group"] == "A"]["survival"].tolist()
    np.testing.assert_allclose(a_vals[:3], [1.0, 0.8, 0.3])
    assert np.isnan(a_vals[3])  # 9 is beyond A's follow-up (8)
    b_vals = at[at["group"] == "B"]["survival"].to_numpy()
    np.testing.assert_allclose(b_vals[:2], [1.0, 0.8])
    assert np.isnan(b_vals[2:]).all()  # B's follow-up ends at its last event, 7
    med = sv.median_survival(HAND, by="group")
    assert med["median"].tolist() == [5, 4]  # B: S(4) = 0.4 < 1/2
    pd.testing.assert_frame_equal(pd.DataFrame(km.attrs["median"]), med, check_dtype=False)
    both = pd.concat([km, km])  # attrs hold plain records, so pandas can compare them when combining
    assert len(both) == 2 * len(km)


# ------------------------------------------------------------------------------------ recovery
def test_kaplan_meier_covers_true_survival():
    rng = np.random.default_rng(7)
    n, lam = 2000, 0.1
    t = rng.exponential(1 / lam, n)
    c = rng.uniform(0, 30, n)
    km = sv.kaplan_meier(pd.DataFrame({"duration": np.minimum(t, c), "event": t <= c}))
    times = np.array([2.0, 7.0, 15.0])  # S = 0.82, 0.50, 0.22
    at = sv.survival_at(km, times)
    truth = np.exp(-lam * times)
    # pointwise 95% bands, three times: with this seed all cover; across seeds each misses 5% of
    # the time, so a failure here after a code change is a real signal, not bad luck of the seed
    assert np.all(at["ci_lower"].to_numpy() <= truth) and np.all(truth <= at["ci_upper"].to_numpy())
    np.testing.assert_allclose(at["survival"], truth, atol=0.04)  # sd of S-hat <= 0.013 here: 3 sd


def test_cox_recovers_hazard_ratios_inside_95_ci():
    res = sv.cox_ph(weibull_ph(3000, np.random.default_rng(3)), "x + C(g)")
    assert res.engine == "statsmodels" and res.converged
    ci = res.conf_int()
    # seeded; each true coefficient inside its 95% Wald interval (coverage checked separately below)
    assert ((ci["lower"] <= TRUE_BETA) & (TRUE_BETA <= ci["upper"])).all(), (res.params, ci)
    np.testing.assert_allclose(res.hazard_ratios, np.exp(res.params))
    np.testing.assert_allclose(res.hazard_ratio_conf_int(), np.exp(ci))
    assert res.nobs == 3000 and res.n_events == int(weibull_ph(3000, np.random.default_rng(3))["event"].sum())
    assert res.lr_test["p_value"] < 1e-10


def test_cox_interval_coverage():
    # 150 replications of n=300 with the fast engine: each 95% interval should cover about 95% of the
    # time. Binomial sd of a coverage rate over 150 fits is 0.018; 0.89 is 3.4 sd below 0.95.
    hits = []
    for seed in range(150):
        res = sv.cox_ph(weibull_ph(300, np.random.default_rng(1000 + seed)), "x + C(g)", engine="numpy")
        ci = res.conf_int()
        hits.append(((ci["lower"] <= TRUE_BETA) & (TRUE_BETA <= ci["upper"])).to_numpy())
    coverage = np.mean(hits, axis=0)
    assert np.all(coverage >= 0.89), coverage


def test_cox_survival_curves_match_truth():
    res = sv.cox_ph(weibull_ph(3000, np.random.default_rng(5)), "x + C(g)")
    profiles = pd.DataFrame({"x": [0.0, 1.0], "g": ["a", "c"]}, index=["reference", "x=1, g=c"])
    times = np.array([3.0, 8.0, 15.0])
    eta = np.array([0.0, 0.5 - 0.4])
    truth = np.exp(-np.outer(np.exp(eta), (times / 10) ** 1.5))  # true S(t | x), Weibull shape 1.5, scale 10
    curves = res.survival_function(profiles, times)
    assert curves.index.tolist() == profiles.index.tolist() and curves.columns.tolist() == times.tolist()
    # over 200 seeded replications at this size the sd of S-hat - S is at most 0.018 (bias < 0.002);
    # 0.06 is 3.3 sd
    np.testing.assert_allclose(curves.to_numpy(), truth, atol=0.06)
    # median: S = 1/2 at t = 10 (log 2 exp(-eta))^(1/1.5); the estimate is an event time near it
    true_median = 10 * (np.log(2) * np.exp(-eta)) ** (1 / 1.5)
    np.testing.assert_allclose(res.median_survival(profiles), true_median, rtol=0.08)
    tidy = res.survival_function(profiles, times, tidy=True)
    assert tidy.columns.tolist() == ["row", "time", "survival"] and len(tidy) == 6
    np.testing.assert_allclose(tidy["survival"], curves.to_numpy().ravel())
    assert np.isnan(res.survival_function(profiles, [1e6]).to_numpy()).all()  # beyond follow-up


def test_cox_engines_agree_and_baseline_is_breslow():
    df = weibull_ph(800, np.random.default_rng(11))
    df["duration"] = np.ceil(df["duration"])  # ties, where engines most easily differ
    sm = sv.cox_ph(df, "x + C(g)", engine="statsmodels")
    fast = sv.cox_ph(df, "x + C(g)", engine="numpy")
    # both maximise the same Breslow partial likelihood; Newton stops at |step| < 1e-9
    np.testing.assert_allclose(fast.params, sm.params, rtol=1e-6)
    np.testing.assert_allclose(fast.bse, sm.bse, rtol=1e-6)
    assert fast.llf == pytest.approx(sm.llf, rel=1e-10)
    assert fast.llnull == pytest.approx(sm.llnull, rel=1e-10)
    # Breslow's H0 by brute force: sum over event times t_k <= t of d_k / sum_{T_j >= t_k} exp(x_j' b)
    x = np.column_stack([(df["g"] == "b"), (df["g"] == "c"), df["x"]]).astype(float)
    risk = np.exp(x @ sm.params.to_numpy())
    t, e = df["duration"].to_numpy(), df["event"].to_numpy()
    event_times = np.unique(t[e])
    jumps = [e[t == tk].sum() / risk[t >= tk].sum() for tk in event_times]
    base = sm.baseline_cumulative_hazard
    np.testing.assert_allclose(base["time"], event_times)
    np.testing.assert_allclose(base["cumulative_hazard"], np.cumsum(jumps), rtol=1e-9)
    efron = sv.cox_ph(df, "x + C(g)", ties="efron")
    assert efron.engine == "statsmodels" and efron.ties == "efron"
    assert not np.allclose(efron.params, sm.params, rtol=1e-4)  # ties handled differently


def test_cox_results_are_immutable_and_summarise():
    res = sv.cox_ph(HAND.assign(x=[0.1, 0.5, 0.2, 0.9, 0.3, 0.4, 0.8, 0.7, 0.6, 0.0]), "x")
    with pytest.raises(AttributeError):
        res.params = None
    text = str(res.summary())
    assert "Cox proportional hazards" in text and "HR" in text
    assert res.predict(pd.DataFrame({"x": [0.0, 1.0]}), kind="hazard_ratio").iloc[0] == 1.0
    assert res.rows_left_out == {"missing covariate": 0}


def test_cox_leaves_out_missing_covariates_and_counts_them():
    df = weibull_ph(300, np.random.default_rng(2))
    df.loc[[3, 10], "x"] = np.nan
    with pytest.warns(RowsLeftOutWarning, match="2 rows"):
        res = sv.cox_ph(df, "x + C(g)")
    assert res.nobs == 298 and res.rows_left_out == {"missing covariate": 2}


# ------------------------------------------------------------------------------------ builders
def _log():
    return pd.DataFrame({
        "customer_id": [1, 1, 1, 2, 3, 3, 4, 4],
        "order_date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-05", "2024-01-03", "2024-01-02",
                                      "2024-01-02", "2024-01-08", "2024-01-12"]),
        "channel": ["ads", "ads", "organic", "organic", "ads", "ads", "referral", "referral"],
    })


def test_time_to_second_purchase():
    with pytest.warns(RowsLeftOutWarning, match="1 row") as record:
        out = sv.time_to_second_purchase(_log(), observation_end="2024-01-10", by="channel")
    assert record[0].filename == __file__  # the warning points at the caller's line
    # 1: first 01-01 (two orders, one day), second day 01-05 -> 4 days, event
    # 2: one day 01-03, censored at 01-10 -> 7;  3: two orders on 01-02 only -> censored, 8
    # 4: 01-08, its 01-12 order is after observation_end (left out) -> censored, 2
    assert out.index.tolist() == [1, 2, 3, 4]
    assert out["duration"].tolist() == [4, 7, 8, 2]
    assert out["event"].tolist() == [True, False, False, False]
    assert out["channel"].tolist() == ["ads", "organic", "ads", "referral"]  # from the first purchase row
    assert out.attrs["rows_left_out"] == {"after observation_end": 1}
    assert out.attrs["time_unit"] == "D"
    weeks = sv.time_to_second_purchase(_log(), time_unit="W")  # observation_end: 01-12, customer 4 repeats
    np.testing.assert_allclose(weeks["duration"], np.array([4, 9, 10, 4]) / 7)
    assert weeks["event"].tolist() == [True, False, False, True]


def test_time_to_next_purchase_from_the_kth_day():
    """Purchase days (01-12 is the end): 1: 01-01, 01-05; 2: 01-03; 3: 01-02; 4: 01-08, 01-12.
    k=1 is time_to_second_purchase.  k=2: only 1 and 4 have a second day; neither buys again,
    so both are censored at 01-12 (7 and 0 days); 2 and 3 are not at risk and are counted."""
    first = sv.time_to_next_purchase(_log(), k=1)
    second = sv.time_to_second_purchase(_log())
    pd.testing.assert_frame_equal(first.rename(columns={"purchase_on": "first_purchase_on"}), second)
    out = sv.time_to_next_purchase(_log(), k=2, by="channel")
    assert out.index.tolist() == [1, 4]
    assert out["purchase_on"].dt.strftime("%m-%d").tolist() == ["01-05", "01-12"]
    assert out["duration"].tolist() == [7, 0] and not out["event"].any()
    assert out["channel"].tolist() == ["ads", "referral"]
    assert out.attrs["k"] == 2
    assert out.attrs["customers_left_out"]["fewer than 2 purchase days by observation_end"] == 2
    with pytest.raises(InputError, match="k must be a whole number >= 1"):
        sv.time_to_next_purchase(_log(), k=0)
    with pytest.warns(RowsLeftOutWarning) as record:
        sv.time_to_next_purchase(_log(), k=2, observation_end="2024-01-10")
    assert record[0].filename == __file__


def test_customers_who_bought_more_often_come_back_sooner():
    """In a BG/NBD world the purchase rate differs between customers, so those who reached a k-th
    purchase day are, on average, the faster buyers, and the more so the larger k (selection, not
    habit: each customer's rate is constant).  On the bundled textbook world (10k customers) the
    median wait falls from about 540 days (k=1) to about 150 (k=2) and 70 (k=3); each median's
    95% interval lies entirely below the previous one's."""
    tx = rk.transactions(rk.load_sample("textbook"))
    med = [sv.median_survival(sv.time_to_next_purchase(tx, k=k)).iloc[0] for k in (1, 2, 3)]
    for earlier, later in zip(med[:-1], med[1:], strict=True):
        assert later["ci_upper"] < earlier["ci_lower"]

def test_membership_lifetimes_periods_and_days():
    m = pd.DataFrame({
        "customer_id": [1, 2, 3, 4],
        "started_on": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-03-01", "2024-05-01"]),
        "renewals": [0, 2, 1, 0],
        "ended_on": pd.to_datetime(["2024-01-31", None, "2024-04-30", None]),
        "channel": ["a", "b", "a", "b"],
    })
    # As the table stands (periods): 1 lapsed after 0 renewals -> 1, event; 2 active after 2 renewals
    # -> censored at 2; 3 lapsed after 1 renewal -> 2, event; 4 active, no renewal yet -> censored at 0
    full = sv.membership_lifetimes(m, period_days=30)
    assert full["duration"].tolist() == [1, 2, 2, 0]
    assert full["event"].tolist() == [True, False, True, False]
    assert full["channel"].tolist() == ["a", "b", "a", "b"]
    # Cut at 2024-04-15: 4 starts later (left out); 3 ends later (censored, 45 days in: 1 renewal seen)
    with pytest.warns(RowsLeftOutWarning):
        cut = sv.membership_lifetimes(m, period_days=30, observation_end="2024-04-15")
    assert cut["customer_id"].tolist() == [1, 2, 3]
    assert cut["duration"].tolist() == [1, 2, 1]
    assert cut["event"].tolist() == [True, False, False]
    assert cut.attrs["rows_left_out"] == {"started after observation_end": 1}
    with pytest.warns(RowsLeftOutWarning):
        days = sv.membership_lifetimes(m, period_days=30, observation_end="2024-04-15", unit="days")
    assert days["duration"].tolist() == [30, 105, 45]  # 01-01..01-31; 01-01..04-15; 03-01..04-15


# ------------------------------------------------------------------------------------ bad input
def test_negative_durations_are_named():
    bad = HAND.copy()
    bad.loc[6, "duration"] = -2
    for call in (lambda: sv.kaplan_meier(bad), lambda: sv.logrank_test(bad, group_col="group"),
                 lambda: sv.cox_ph(bad.assign(x=np.arange(10.0)), "x")):
        with pytest.raises(InputError, match=r"times < 0.*6: -2\.0"):
            call()


def test_non_binary_events_are_named():
    bad = HAND.copy()
    bad.loc[2, "event"] = 2
    with pytest.raises(InputError, match=r"'event' must be binary.*2: 2\.0"):
        sv.kaplan_meier(bad)
    with pytest.raises(InputError, match="must be boolean or 0/1"):
        sv.kaplan_meier(HAND.assign(event=["yes"] * 10))


def test_missing_columns_are_named():
    with pytest.raises(SchemaError, match="no column 'time'"):
        sv.kaplan_meier(HAND, duration_col="time")
    with pytest.raises(SchemaError, match="'arm'"):
        sv.logrank_test(HAND, group_col="arm")
    with pytest.raises(SchemaError, match="'status'"):
        sv.cox_ph(HAND.assign(x=1.0), "x", event_col="status")


def test_group_without_events():
    df = HAND.copy()
    df.loc[df["group"] == "B", "event"] = 0
    # Kaplan-Meier: a curve with no events is flat at 1 with no interval -> error naming the group
    with pytest.raises(InputError, match="no events.*group='B'"):
        sv.kaplan_meier(df, by="group")
    # log-rank: a group without events is evidence (0 observed vs a positive expectation), computed.
    # A's events at 1, 3, 5 with (n_A, n_B) = (5, 5), (4, 4), (2, 2): E_A = 1/2 each, V = 1/4 each,
    # so chi2 = (3 - 3/2)^2 / (3/4) = 3
    res = sv.logrank_test(df, group_col="group")
    assert res.table.set_index("group").loc["B", "observed"] == 0
    assert res.statistic == pytest.approx(3.0, rel=1e-12)
    with pytest.raises(InputError, match="no events at all"):
        sv.logrank_test(df.assign(event=0), group_col="group")
    with pytest.raises(InputError, match="single value"):
        sv.logrank_test(df.assign(group="A"), group_col="group")
    # Cox: a level without events has hazard ratio 0 -> error naming the level
    with pytest.raises(IdentificationError, match=r"no events among the 5 rows with C\(group\)\[T.B\] = 1"):
        sv.cox_ph(df, "C(group)")


def test_cox_bad_formulas_and_options():
    df = HAND.assign(x=np.arange(10.0), one=1.0)
    with pytest.raises(InputError, match="no intercept"):
        sv.cox_ph(df, "x - 1")
    with pytest.raises(IdentificationError, match="single value"):
        sv.cox_ph(df, "x + one")
    with pytest.raises(InputError, match="Breslow ties only"):
        sv.cox_ph(df, "x", ties="efron", engine="numpy")
    with pytest.raises(InputError, match="cannot build"):
        sv.cox_ph(df, "x + nowhere")
    with pytest.raises(IdentificationError, match="no events"):
        sv.cox_ph(df.assign(event=0), "x")
    res = sv.cox_ph(df, "duration ~ x")  # a left-hand side names the duration column
    with pytest.raises(InputError, match="cannot build"):
        res.survival_function(pd.DataFrame({"y": [1.0]}))


def test_membership_bad_input():
    m = pd.DataFrame({"customer_id": [1, 2], "started_on": pd.to_datetime(["2024-02-01", "2024-01-01"]),
                      "renewals": [0, 1], "ended_on": pd.to_datetime(["2024-01-15", None])})
    with pytest.raises(InputError, match="end before they start"):
        sv.membership_lifetimes(m)
    with pytest.raises(InputError, match="needs observation_end"):
        sv.membership_lifetimes(m.iloc[1:], unit="days")
    with pytest.raises(InputError, match="whole numbers >= 0.*0: -1"):
        sv.membership_lifetimes(m.iloc[1:].assign(renewals=-1).set_axis([0]))
    with pytest.raises(InputError, match="membership_lifetimes: observation_end='soon' is not a date"):
        sv.membership_lifetimes(m.iloc[1:], observation_end="soon")
    with pytest.raises(InputError, match="observation_end is missing"):
        sv.membership_lifetimes(m.iloc[1:], observation_end=pd.NaT)


# ------------------------------------------------------------------------------------------ plots
def test_plot_survival_titles_labels_and_colours():
    out = sv.time_to_second_purchase(_log(), by="channel")
    km = sv.kaplan_meier(out[out["channel"] != "ads"].assign(event=True), by="channel")
    ax = sv.plot_survival(km)
    assert "Kaplan-Meier" in ax.get_title() and "channel" in ax.get_title()
    assert ax.get_xlabel() == "time since start (days)"
    colours = {to_hex(line.get_color()) for line in ax.get_lines()}
    assert colours == {color_for("organic").lower(), color_for("referral").lower()}
    assert len(ax.collections) == 2  # one band per group
    profiles = pd.DataFrame({"x": [0.0, 1.0]}, index=["low", "high"])
    res = sv.cox_ph(HAND.assign(x=[0.1, 0.5, 0.2, 0.9, 0.3, 0.4, 0.8, 0.7, 0.6, 0.0]), "x")
    ax2 = sv.plot_survival_curves(res.survival_function(profiles), time_unit="W")
    assert ax2.get_xlabel() == "time since start (weeks)" and len(ax2.get_lines()) == 2
    plt.close("all")


def test_plot_survival_hue_relabels_the_curves_and_refuses_to_mix_them():
    """``hue`` names and colours the table's curves.  A relabelling of the groups gets the same
    curves as the default: extended flat to each group's longest follow-up (censored after the
    last event) and with its median in the legend.  A hue that would draw two curves as one line,
    or split one curve, is an error rather than a zig-zag."""
    data = pd.DataFrame({"duration": [1.0, 2.0, 3.0, 9.0, 1.0, 4.0, 5.0, 12.0],
                         "event": [True, True, True, False, True, True, True, False],
                         "g": ["a"] * 4 + ["b"] * 4, "h": ["x", "y"] * 4})
    km = sv.kaplan_meier(data, by="g")
    default = sv.plot_survival(km)
    relabelled = sv.plot_survival(km.assign(group=km["g"].map({"a": "first", "b": "second"})), hue="group")
    for ax in (default, relabelled):
        ends = sorted(line.get_xdata()[-1] for line in ax.get_lines())
        assert ends == [9.0, 12.0]  # each curve runs to its own last (censored) follow-up
    # medians: the first event time at which the curve drops below one half (a: S(3) = 1/4; b: S(5) = 1/4)
    assert [t.get_text() for t in relabelled.get_legend().get_texts()] == ["first (median 3)", "second (median 5)"]
    two = sv.kaplan_meier(data, by=["g", "h"])
    with pytest.raises(InputError, match=r"gives the label 'a' to several curves .*hue=\['g', 'h'\]"):
        sv.plot_survival(two, hue="g")
    with pytest.raises(InputError, match="changes within one Kaplan-Meier curve"):
        sv.plot_survival(km.assign(step=np.arange(len(km)).astype(str)), hue="step")
    plt.close("all")


def test_no_warnings_on_clean_input():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sv.kaplan_meier(HAND, by="group")
        sv.logrank_test(HAND, group_col="group")
        sv.cox_ph(weibull_ph(200, np.random.default_rng(0)), "x + C(g)")


def test_membership_sbg_data_by_hand():
    """Member 1 lapsed after paying 1 period (0 renewals): churned at the first renewal, recency 1,
    T 2.  Member 2 has renewed twice and is active: recency = T = 3.  Member 3 lapsed after two
    renewals: recency 3, T 4."""
    m = pd.DataFrame({"customer_id": [1, 2, 3], "renewals": [0, 2, 2],
                      "ended_on": pd.to_datetime(["2024-01-01", None, "2025-01-01"])})
    d = rk.survival.membership_sbg_data(m)
    assert d["recency"].tolist() == [1, 3, 3] and d["T"].tolist() == [2, 3, 4]
    with pytest.raises(rk.InputError, match=r"renewals must be whole numbers >= 0; found \[-1\]"):
        rk.survival.membership_sbg_data(m.assign(renewals=[0, -1, 2]))


def test_membership_sbg_data_as_seen_on_an_earlier_day():
    """Cut on 2024-06-30 (yearly periods).  Member 1 joined 2022-01-01 and lapsed in 2026: by the
    cut it had renewed twice (2023-01-01, 2024-01-01) and is active, recency = T = 3.  Member 2
    lapsed 2024-03-01 after its first year: recency 1, T 2.  Member 3 joins after the cut: left
    out, counted and warned.  Member 4 lapsed in 2023 after one renewal: recency 2, T 3."""
    m = pd.DataFrame({"customer_id": [1, 2, 3, 4],
                      "started_on": pd.to_datetime(["2022-01-01", "2023-03-01", "2024-08-01", "2021-05-01"]),
                      "renewals": [3, 0, 0, 1],
                      "ended_on": pd.to_datetime(["2026-01-01", "2024-03-01", None, "2023-05-01"])})
    with pytest.warns(rk.RowsLeftOutWarning, match="membership_sbg_data: left out 1 memberships") as record:
        d = rk.survival.membership_sbg_data(m, observation_end="2024-06-30")
    assert record[0].filename == __file__
    assert d["customer_id"].tolist() == [1, 2, 4]
    assert d["recency"].tolist() == [3, 1, 2] and d["T"].tolist() == [3, 2, 3]
    assert d.attrs["rows_left_out"] == {"started after observation_end": 1}


def test_membership_sbg_data_cut_at_the_end_of_the_data_changes_nothing():
    store = rk.load_sample("retention_first")
    m = store.memberships
    last_day = pd.Timestamp(store.scenario.start_date) + pd.Timedelta(days=store.scenario.horizon_days - 1)
    as_is = rk.survival.membership_sbg_data(m)
    cut = rk.survival.membership_sbg_data(m, observation_end=last_day)
    pd.testing.assert_frame_equal(cut[["recency", "T"]], as_is[["recency", "T"]])


def test_sbg_recovers_membership_truth_over_a_long_horizon():
    """Eight yearly renewal decisions, as in Fader & Hardie's sBG data: the organic channel's true
    (alpha, beta) lie inside the fitted 95% intervals (seeded; a correct estimator misses one of
    the two by chance about 10% of the time, so the seed is fixed)."""
    sc = rk.Scenario.preset("retention_first").replace(horizon_days=8 * 365 + 2)
    s = rk.generate(sc, n_customers=12_000, seed=5, progress=False)
    m = s.memberships.merge(s.customers[["customer_id", "channel"]], on="customer_id")
    d = rk.survival.membership_sbg_data(m[m["channel"] == "organic"])
    from retailkit.clv import ShiftedBetaGeometric

    res = ShiftedBetaGeometric.fit(d)
    truth = next(t for t in sc.membership.terms if t.channel == "organic")
    ci = res.conf_int()
    assert ci.loc["alpha", "lower"] <= truth.alpha <= ci.loc["alpha", "upper"], ci
    assert ci.loc["beta", "lower"] <= truth.beta <= ci.loc["beta", "upper"], ci
