"""Uplift: the two-model learner, Qini curves and targeting by risk versus by uplift, graded against true effects."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from scipy.special import expit  # noqa: E402

from retailkit import experiments as ex  # noqa: E402
from retailkit.errors import InputError  # noqa: E402

FORMULA = "np.log(recency_days) + I(np.log(recency_days) ** 2) + np.log(frequency)"


@pytest.fixture(scope="module")
def split():
    df = ex.simulate_campaign(80_000, seed=21)
    return df.iloc[:40_000], df.iloc[40_000:].copy()


@pytest.fixture(scope="module")
def scored(split):
    train, test = split
    model = ex.two_model_uplift(train, outcome="repurchased", arm="arm", formula=FORMULA)
    return model, test.assign(uplift=model.predict(test))


def test_two_model_uplift_finds_who_the_campaign_moves(scored):
    model, test = scored
    # the true effect peaks at ~110 days of recency; a quadratic in log recency can bend to it, so the
    # scores must track the truth clearly (0.6 on this seed; 0.4 leaves room for other seeds)
    assert np.corrcoef(test["uplift"], test["true_effect"])[0, 1] > 0.4
    parts = model.predict(test.head(50), components=True)
    assert list(parts.columns) == ["p_treatment", "p_control", "uplift"]
    np.testing.assert_allclose(parts["uplift"], parts["p_treatment"] - parts["p_control"])
    X = np.column_stack([np.ones(50), np.log(test["recency_days"].head(50)),
                         np.log(test["recency_days"].head(50)) ** 2, np.log(test["frequency"].head(50))])
    np.testing.assert_allclose(parts["p_control"], expit(X @ model.control_model.params.to_numpy()), rtol=1e-12)
    assert model.params.shape == (4, 2) and "T-learner" in str(model.summary())
    with pytest.raises(AttributeError):
        model.formula = "x"


def test_uplift_with_categorical_features_and_unseen_levels(split):
    train = split[0].assign(segment=lambda d: np.where(d["recency_days"] < 100, "recent", "lapsing"))
    model = ex.two_model_uplift(train, outcome="repurchased", arm="arm", features=["segment", "frequency"])
    scores = model.predict(train.head(10))
    assert scores.index.equals(train.head(10).index) and scores.name == "uplift"
    with pytest.raises(InputError, match="never seen in training"):
        model.predict(train.head(3).assign(segment="brand_new"))
    with pytest.raises(InputError, match="missing values"):
        model.predict(train.head(3).assign(frequency=np.nan))


def test_qini_of_a_perfect_score_beats_random_and_risk(scored):
    _, test = scored
    curve = ex.qini_curve(test, score=["true_effect", "uplift", "churn_risk"], outcome="repurchased", arm="arm",
                          true_effect="true_effect")
    q = curve.attrs["qini_coefficient"]
    assert q["true_effect"] > 0 and q["true_effect"] > q["churn_risk"]
    assert q["uplift"] > q["churn_risk"]
    truth = curve.attrs["true_qini_coefficient"]  # exact, noise-free ranking of the scores
    assert truth["true_effect"] > truth["uplift"] > truth["churn_risk"] > 0
    one = curve[curve["score"] == "uplift"]
    assert one["incremental"].iloc[0] == 0 and one["fraction_targeted"].iloc[-1] == 1
    # at 100% targeted every score gives the same total: n * (mean_t - mean_c)
    arm_means = test.groupby("arm")["repurchased"].mean()
    total = len(test) * (arm_means["treatment"] - arm_means["control"])
    assert curve.groupby("score")["incremental"].last().to_numpy() == pytest.approx(total)
    assert one["true_incremental"].iloc[-1] == pytest.approx(test["true_effect"].sum())


def test_qini_treats_ties_as_unordered():
    # a constant score ranks no one before anyone else: its curve is exactly the random line
    df = ex.simulate_campaign(5_000, seed=2).assign(flat=1.0)
    curve = ex.qini_curve(df, score="flat", outcome="repurchased", arm="arm")
    np.testing.assert_allclose(curve["incremental"].iloc[1:], curve["random"].iloc[1:], rtol=1e-9)
    assert curve.attrs["qini_coefficient"]["flat"] == pytest.approx(0, abs=1e-6)


def test_targeting_comparison_grades_rules_against_the_truth(scored):
    _, test = scored
    table = ex.targeting_comparison(test, scores=["uplift", "churn_risk"], outcome="repurchased", arm="arm",
                                    budget=[0.1, 0.3], true_effect="true_effect")
    assert set(table["rule"]) == {"uplift", "churn_risk", "random"}
    at = table.set_index(["rule", "budget"])
    for b in (0.1, 0.3):
        assert at.loc[("uplift", b), "true_incremental"] > at.loc[("random", b), "true_incremental"]
        assert at.loc[("uplift", b), "true_incremental"] > at.loc[("churn_risk", b), "true_incremental"]
    # the estimate from the randomised arms covers the true gain of each rule (95% intervals, seeded;
    # 6 intervals -> allow one miss)
    inside = (table["ci_lower"] <= table["true_incremental"]) & (table["true_incremental"] <= table["ci_upper"])
    assert inside.sum() >= 5
    assert (table["n_targeted"] == np.ceil(table["budget"] * len(test))).all()


def test_plot_qini_draws_every_score(scored):
    _, test = scored
    curve = ex.qini_curve(test, score=["uplift", "churn_risk"], outcome="repurchased", arm="arm",
                          true_effect="true_effect")
    ax = ex.plot_qini(curve)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(lab.startswith("uplift (Qini") for lab in labels) and "random targeting" in labels
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    plt.close(ax.figure)
    with pytest.raises(InputError):
        ex.plot_qini(pd.DataFrame({"x": [1]}))
