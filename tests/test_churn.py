"""Tests of retailkit.churn: operational churn, features at a cut-off, logistic model, AUC, calibration."""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from scipy import special  # noqa: E402

from retailkit import churn  # noqa: E402
from retailkit._logs import RowsLeftOutWarning  # noqa: E402
from retailkit.errors import IdentificationError, InputError, SchemaError  # noqa: E402


def _log():
    """Hand log: customer 1 buys twice on 01-01 and on 03-01, 2 on 02-15, 3 on 03-25."""
    return pd.DataFrame({
        "customer_id": [1, 1, 1, 2, 3],
        "order_date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-03-01", "2024-02-15", "2024-03-25"]),
        "amount": [10.0, 20.0, 15.0, 40.0, 5.0],
        "channel": ["ads", "ads", "ads", "organic", "organic"],
    })


def simulate_log(n: int, seed: int, days: int = 730) -> pd.DataFrame:
    """Customers arrive uniformly; buy as a Poisson process (rate per day ~ Gamma, higher for 'referral')
    until an exponential lifetime (mean 200 days) ends; first purchase on arrival."""
    rng = np.random.default_rng(seed)
    arrive = rng.integers(0, days - 60, n)
    channel = rng.choice(["ads", "referral"], n)
    rate = rng.gamma(0.8, 1 / 25, n) * np.where(channel == "referral", 1.6, 1.0)
    span = np.minimum(rng.exponential(200, n), days - arrive)
    k = rng.poisson(rate * span)
    who = np.repeat(np.arange(n), k)
    later = arrive[who] + np.floor(rng.random(k.sum()) * span[who]).astype(int)
    ids = np.r_[np.arange(n), who]
    day = np.r_[arrive, later]
    return pd.DataFrame({
        "customer_id": ids + 1,
        "order_date": (np.datetime64("2023-01-01") + day).astype("datetime64[us]"),
        "amount": np.round(rng.gamma(2.0, 20.0, len(ids)), 2),
        "channel": channel[ids],
    }).sort_values(["customer_id", "order_date"], ignore_index=True)


# ---------------------------------------------------------------------------- operational churn
def test_churn_labels_hand_example():
    out = churn.churn_labels(_log(), inactive_days=30, observation_end="2024-03-31", by="channel")
    # last purchases 03-01, 02-15, 03-25 -> 30, 45, 6 days before 03-31. "No purchase in the 30 days up to
    # 03-31" means none in 03-02..03-31, so customer 1 (last on 03-01) has churned.
    assert out["days_since_last"].tolist() == [30, 45, 6]
    assert out["churned"].tolist() == [True, True, False]
    assert out["tenure_days"].tolist() == [90, 45, 6]
    assert out["purchase_days"].tolist() == [2, 1, 1]  # two orders on 01-01 are one purchase day
    assert out["channel"].tolist() == ["ads", "organic", "organic"]
    assert out.attrs["inactive_days"] == 30
    later = churn.churn_labels(_log(), inactive_days=31, observation_end="2024-03-31")
    assert later["churned"].tolist() == [False, True, False]


def test_churn_sensitivity_hand_example():
    table = churn.churn_sensitivity(_log(), days=[10, 30, 60], observation_end="2024-03-31")
    # days since last purchase 30, 45, 6; tenure 90, 45, 6
    assert table["churned"].tolist() == [2, 2, 0]  # >= 10: 30, 45; >= 30: 30, 45; >= 60: none
    assert table["eligible"].tolist() == [2, 2, 1]  # tenure >= 10: 90, 45; >= 30: 90, 45; >= 60: 90
    np.testing.assert_allclose(table["share_churned"], [2 / 3, 2 / 3, 0])
    np.testing.assert_allclose(table["share_churned_eligible"], [1, 1, 0])
    by = churn.churn_sensitivity(_log(), days=[10, 60], by="channel", observation_end="2024-03-31")
    assert by[["channel", "inactive_days", "churned", "customers"]].values.tolist() == [
        ["ads", 10, 1, 1], ["ads", 60, 0, 1], ["organic", 10, 1, 2], ["organic", 60, 0, 2]]
    ax = churn.plot_churn_sensitivity(by)
    assert "depends on N" in ax.get_title() and "days" in ax.get_xlabel() and len(ax.get_lines()) == 2
    plt.close("all")


# --------------------------------------------------------------------------- features at a cut-off
def test_churn_features_hand_example_and_no_leakage():
    # rows after the label window and customers first seen later are outside the analysis by
    # design: they are counted in attrs (below), without a warning
    with warnings.catch_warnings():
        warnings.simplefilter("error", RowsLeftOutWarning)
        f = churn.churn_features(_log(), cutoff="2024-02-20", horizon_days=30)
    # features from purchases up to 02-20; label from (02-20, 03-21]. Customer 3 starts on 03-25: left out.
    # 1: one purchase day (01-01, 10 + 20) -> recency 50, frequency 0, monetary 30, tenure 50; buys on 03-01
    # 2: 02-15 -> recency 5, frequency 0, monetary 40, tenure 5; no purchase in the window
    assert f.index.tolist() == [1, 2]
    assert f["recency_days"].tolist() == [50, 5]
    assert f["frequency"].tolist() == [0, 0]
    assert f["monetary"].tolist() == [30.0, 40.0]
    assert f["tenure_days"].tolist() == [50, 5]
    assert f["channel"].tolist() == ["ads", "organic"]
    assert f["buys_next"].tolist() == [True, False]
    assert f.attrs["rows_left_out"] == {"after the label window": 1, "customer's first purchase after cutoff": 0}
    assert f.attrs["customers_left_out"] == {"first purchase after cutoff": 1}
    # no leakage: whatever happens after the cut-off changes the label, never the features
    extra = pd.DataFrame({"customer_id": [2, 1], "order_date": pd.to_datetime(["2024-02-21", "2024-03-20"]),
                          "amount": [999.0, 999.0], "channel": ["organic", "ads"]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RowsLeftOutWarning)
        g = churn.churn_features(pd.concat([_log(), extra], ignore_index=True), cutoff="2024-02-20", horizon_days=30)
    feats = ["recency_days", "frequency", "monetary", "tenure_days", "channel"]
    pd.testing.assert_frame_equal(f[feats], g[feats])
    assert g["buys_next"].tolist() == [True, True] and g["purchases_next"].tolist() == [2, 1]


def test_churn_features_refuses_an_unobserved_label_window():
    with pytest.raises(InputError, match="ends after the data"):
        churn.churn_features(_log(), cutoff="2024-03-01", horizon_days=30)  # data end 03-25 < 03-31


# ------------------------------------------------------------------------------ AUC, calibration
def test_auc_hand_example():
    y = [0, 0, 1, 1, 0, 1]
    p = [0.1, 0.4, 0.35, 0.8, 0.8, 0.9]
    # positive vs negative pairs (ties count 1/2):
    #   0.35 beats 0.1 only                    -> 1
    #   0.8  beats 0.1, 0.4, ties 0.8          -> 2.5
    #   0.9  beats all three                   -> 3
    # AUC = 6.5 / (3 * 3) = 0.7222.  Rank form: ranks 1, 3, 2, 4.5, 4.5, 6; positives 2 + 4.5 + 6 = 12.5;
    # (12.5 - 3 * 4 / 2) / 9 = 6.5 / 9
    assert churn.auc(y, p) == pytest.approx(6.5 / 9, rel=1e-12)
    assert churn.auc(np.array(y, dtype=bool), np.array(p)) == pytest.approx(6.5 / 9, rel=1e-12)


def test_auc_matches_pairwise_definition():
    rng = np.random.default_rng(0)
    y = rng.random(300) < 0.3
    p = np.round(rng.random(300) + 0.3 * y, 1)  # rounded: many ties
    pos, neg = p[y], p[~y]
    pairwise = ((pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])).mean()
    assert churn.auc(y, p) == pytest.approx(pairwise, rel=1e-12)


def test_calibration_table_hand_example():
    y = [0, 1, 0, 1, 1, 1, 0, 0]
    p = [0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9]
    table = churn.calibration_table(y, p, bins=2)
    # quantile edges 0.1, 0.5, 0.9: bin 1 = 0.1..0.4 (mean 0.25, 2 of 4 bought), bin 2 = 0.6..0.9 (0.75, 2 of 4)
    assert table["n"].tolist() == [4, 4]
    np.testing.assert_allclose(table["mean_predicted"], [0.25, 0.75])
    np.testing.assert_allclose(table["observed_rate"], [0.5, 0.5])
    assert table.attrs["ece"] == pytest.approx(0.25)  # (4 * 0.25 + 4 * 0.25) / 8
    # Brier: (0.01 + 0.64 + 0.09 + 0.36 + 0.16 + 0.09 + 0.64 + 0.81) / 8 = 2.8 / 8
    assert table.attrs["brier_score"] == pytest.approx(0.35)
    assert churn.brier_score(y, p) == pytest.approx(0.35)
    assert (table["ci_lower"] < 0.5).all() and (table["ci_upper"] > 0.5).all()
    tied = churn.calibration_table([1, 1, 0, 1, 0, 0], [1.0, 1.0, 1.0, 1.0, 0.2, 0.3], bins=4)
    # quartiles of 0.2, 0.3, 1, 1, 1, 1 are 0.2, 0.475, 1, 1, 1: the edges at 1 merge, the four tied 1.0s
    # share one bin, and there are 2 bins instead of 4
    assert tied["n"].tolist() == [2, 4]
    uniform = churn.calibration_table(y, p, bins=5, strategy="uniform")
    # [0, .2): .1; [.2, .4): .2, .3; [.4, .6): .4; [.6, .8): .6, .7; [.8, 1]: .8, .9
    assert uniform["n"].tolist() == [1, 2, 1, 2, 2]
    assert len(churn.calibration_table(y, p, bins=20, strategy="uniform")) == 8  # empty bins are not rows
    ax = churn.plot_calibration(table)
    assert "Calibration" in ax.get_title() and ax.get_xlabel().startswith("mean predicted")
    plt.close("all")


def test_score_bad_input():
    with pytest.raises(InputError, match="only positives"):
        churn.auc([1, 1], [0.2, 0.3])
    with pytest.raises(InputError, match="same length"):
        churn.auc([1, 0, 1], [0.2, 0.3])
    with pytest.raises(InputError, match=r"0/1.*2: 2\.0"):
        churn.auc([1, 0, 2], [0.2, 0.3, 0.4])
    with pytest.raises(InputError, match="probabilities in"):
        churn.calibration_table([1, 0], [1.2, 0.3])
    with pytest.raises(InputError, match="missing"):
        churn.auc([1, 0], [np.nan, 0.3])


# ------------------------------------------------------------------------------ logistic model
def test_fit_churn_model_recovers_coefficients():
    rng = np.random.default_rng(4)
    n = 3000
    frame = pd.DataFrame({"x": rng.normal(size=n), "channel": rng.choice(["ads", "referral"], n)})
    truth = pd.Series({"Intercept": -0.5, "C(channel)[T.referral]": 0.8, "x": -1.2})
    referral = (frame["channel"] == "referral").to_numpy()
    eta = truth["Intercept"] + truth["C(channel)[T.referral]"] * referral + truth["x"] * frame["x"]
    frame["buys"] = rng.random(n) < special.expit(eta)
    res = churn.fit_churn_model(frame, "buys ~ x + C(channel)")
    ci = res.conf_int()
    # seeded; every true coefficient inside its 95% interval
    assert ((ci["lower"] <= truth) & (truth <= ci["upper"])).all(), (res.params, ci)
    assert res.converged and res.nobs == n
    np.testing.assert_allclose(res.odds_ratios, np.exp(res.params))
    new = pd.DataFrame({"x": [0.0, 1.0], "channel": ["ads", "referral"]}, index=["a", "b"])
    p = res.predict(new)
    expected = special.expit([res.params["Intercept"], res.params.sum()])
    np.testing.assert_allclose(p, expected)
    assert p.index.tolist() == ["a", "b"] and p.name == "p_buys"
    assert len(res.fitted) == n and 0 < res.fitted.min() < res.fitted.max() < 1
    with pytest.raises(AttributeError):
        res.formula = "y ~ 1"
    assert "Logit" in str(res.summary())


def test_fit_churn_model_bad_input_and_left_out_rows():
    frame = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0], "x": [1.0, 2.0, np.nan, 4.0, 1.0, 3.0]})
    with pytest.warns(RowsLeftOutWarning, match="1 rows"):
        res = churn.fit_churn_model(frame, "y ~ x")
    assert res.rows_left_out == {"missing value in a model variable": 1} and res.nobs == 5
    with pytest.raises(InputError, match=r"outcome 'y' must be 0/1.*2: 2\.0"):
        churn.fit_churn_model(frame.assign(y=[0, 1, 2, 1, 0, 1]), "y ~ x")
    with pytest.raises(IdentificationError, match="single value"):
        churn.fit_churn_model(frame.assign(y=1), "y ~ x")
    with pytest.raises(SchemaError, match="'z'"):
        churn.fit_churn_model(frame, "z ~ x")
    with pytest.raises(InputError, match="outcome ~ covariates"):
        churn.fit_churn_model(frame, "x")


# ------------------------------------------------------------------------ logistic vs P(alive)
@pytest.fixture(scope="module")
def sim_log():
    return simulate_log(2500, seed=8)


def test_compare_churn_scores(sim_log):
    cmp = churn.compare_churn_scores(sim_log, cutoff="2024-09-30", horizon_days=60)
    assert cmp.train_cutoff == pd.Timestamp("2024-08-01")  # cutoff - 60 days: training labels end at the cutoff
    assert cmp.metrics.index.tolist() == ["logit", "bgnbd_p_alive", "bgnbd_p_buy"]
    scores = cmp.scores
    assert scores.columns.tolist() == ["buys_next", "logit", "bgnbd_p_alive", "bgnbd_p_buy"]
    first = sim_log.groupby("customer_id")["order_date"].min()
    assert set(scores.index) == set(first[first <= "2024-09-30"].index)  # everyone acquired by the cutoff
    # both model-based probabilities of buying rank customers well on this world (AUC well above 0.5),
    # and are roughly calibrated (mean prediction within 0.05 of the observed share)
    m = cmp.metrics
    assert m.loc["logit", "auc"] > 0.7 and m.loc["bgnbd_p_buy", "auc"] > 0.7
    assert abs(m.loc["logit", "mean_score"] - m.loc["logit", "observed_rate"]) < 0.05
    # P(alive) is not a probability of buying in the horizon: far above the observed share
    assert m.loc["bgnbd_p_alive", "mean_score"] > m.loc["bgnbd_p_alive", "observed_rate"] + 0.2
    # BG/NBD's P(buy) by hand for one customer
    bg, summary = cmp.bgnbd, None
    from retailkit.prep import rfm_summary

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RowsLeftOutWarning)
        summary = rfm_summary(sim_log, observation_end="2024-09-30", monetary_col=None)
    c = scores.index[10]
    r, a = bg.params["r"], bg.params["alpha"]
    x, T = summary.loc[c, "frequency"], summary.loc[c, "T"]
    p_alive = bg.prob_alive(summary.loc[[c]]).iloc[0]
    assert scores.loc[c, "bgnbd_p_buy"] == pytest.approx(p_alive * (1 - ((a + T) / (a + T + 60 / 7)) ** (r + x)))
    assert set(cmp.calibration["score"]) == set(m.index)
    ax = churn.plot_calibration(cmp.calibration, hue="score")
    assert len(ax.get_legend().get_texts()) == 4  # three scores and the diagonal
    plt.close("all")


def test_compare_churn_scores_refuses_leaky_training_window(sim_log):
    with pytest.raises(InputError, match="reach past the cutoff"):
        churn.compare_churn_scores(sim_log, cutoff="2024-09-30", horizon_days=60, train_cutoff="2024-09-01")


def test_churn_model_ignores_category_levels_without_rows():
    """A store that never used a channel still carries it as a category level; the model must not
    build an all-zero dummy for it (that made the design singular)."""
    rng = np.random.default_rng(0)
    n = 400
    frame = pd.DataFrame({
        "buys_next": rng.random(n) < 0.4,
        "recency_days": rng.integers(1, 300, n),
        "channel": pd.Categorical(rng.choice(["a", "b"], n), categories=["a", "b", "never_used"]),
    })
    res = churn.fit_churn_model(frame, "buys_next ~ np.log1p(recency_days) + C(channel)")
    assert not any("never_used" in name for name in res.params.index)
