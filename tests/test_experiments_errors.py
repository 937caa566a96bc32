"""Bad input to the experiment analyses raises a retailkit error whose message names the problem."""

import numpy as np
import pandas as pd
import pytest

from retailkit import experiments as ex
from retailkit.errors import IdentificationError, InputError, RetailkitError, SchemaError

KW = dict(unit="store_id", period="period", outcome="outcome", first_treated="first_treated")


@pytest.fixture(scope="module")
def ab():
    return ex.simulate_campaign(2_000, seed=1)


@pytest.fixture(scope="module")
def panel():
    return ex.simulate_rollout(n_units=30, n_periods=10, cohorts=(4, 7), seed=2)


# ------------------------------------------------------------------------------------ A/B analyses
def test_unknown_arm_label_is_named(ab):
    df = ab.copy()
    df.loc[df.index[:5], "arm"] = "treatment_b"
    for func in (ex.two_proportions, ex.two_means):
        with pytest.raises(InputError, match=r"unknown arm label\(s\) 'treatment_b' \(5 rows\)"):
            func(df, outcome="repurchased", arm="arm")
    with pytest.raises(InputError, match="treatment_b"):
        ex.cuped(df, outcome="spend", covariate="pre_spend", arm="arm")
    with pytest.raises(InputError, match="labels present"):
        ex.two_proportions(ab, outcome="repurchased", arm="arm", treatment="B", control="A")


def test_single_arm_means_no_variation_in_treatment(ab):
    only_control = ab[ab["arm"] == "control"]
    with pytest.raises(InputError, match="no variation in treatment.*treatment='treatment'"):
        ex.two_proportions(only_control, outcome="repurchased", arm="arm")
    with pytest.raises(InputError, match="no variation in treatment"):
        ex.two_model_uplift(only_control, outcome="repurchased", arm="arm", features=["frequency"])
    with pytest.raises(InputError, match="both"):
        ex.two_means(ab, outcome="spend", arm="arm", treatment="control", control="control")


def test_missing_columns_are_named_with_a_suggestion(ab):
    with pytest.raises(SchemaError, match="no column 'repurchase'.*did you mean 'repurchased'"):
        ex.two_proportions(ab, outcome="repurchase", arm="arm")
    with pytest.raises(SchemaError, match="'pre'"):
        ex.cuped(ab, outcome="spend", covariate="pre", arm="arm")
    with pytest.raises(SchemaError, match="'risk'"):
        ex.qini_curve(ab, score="risk", outcome="repurchased", arm="arm")
    with pytest.raises(InputError, match="DataFrame"):
        ex.two_means([1, 2, 3], outcome="spend", arm="arm")


def test_outcome_type_problems(ab):
    with pytest.raises(InputError, match="must hold 0/1.*two_means"):
        ex.two_proportions(ab, outcome="spend", arm="arm")
    with pytest.raises(InputError, match="numeric"):
        ex.two_means(ab.assign(spend=ab["spend"].astype(str)), outcome="spend", arm="arm")
    with pytest.raises(InputError, match="constant"):
        ex.cuped(ab.assign(pre_spend=1.0), outcome="spend", covariate="pre_spend", arm="arm")
    with pytest.raises(InputError, match="alpha"):
        ex.two_means(ab, outcome="spend", arm="arm", alpha=5)


def test_srm_and_power_inputs():
    df = pd.DataFrame({"arm": ["a", "b", "c"] * 10})
    with pytest.raises(InputError, match=r"'c' \(10 rows\).*not in expected_shares"):
        ex.srm_check(df, arm="arm", expected_shares={"a": 0.5, "b": 0.5})
    with pytest.raises(InputError, match="at least two"):
        ex.srm_check(df, arm="arm", expected_shares={"a": 1})
    with pytest.raises(InputError, match=r"write 20% as 0.20"):
        ex.sample_size_proportions(20, 22)
    with pytest.raises(InputError, match="zero effect"):
        ex.sample_size_proportions(0.2, 0.2)
    with pytest.raises(InputError, match="exactly one of p_control"):
        ex.minimum_detectable_effect(1000)


def test_uplift_inputs(ab):
    with pytest.raises(InputError, match="exactly one of features"):
        ex.two_model_uplift(ab, outcome="repurchased", arm="arm", features=["frequency"], formula="frequency")
    with pytest.raises(InputError, match="left side"):
        ex.two_model_uplift(ab, outcome="repurchased", arm="arm", formula="spend ~ frequency")
    with pytest.raises(InputError, match="0/1"):
        ex.two_model_uplift(ab, outcome="spend", arm="arm", features=["frequency"])
    with pytest.raises(InputError, match="could not be built"):
        ex.two_model_uplift(ab, outcome="repurchased", arm="arm", formula="np.log(frequency) +")
    with pytest.raises(InputError, match="names no column"):
        ex.two_model_uplift(ab, outcome="repurchased", arm="arm", formula="np.log(freq)")
    with pytest.raises(InputError, match="budget"):
        ex.targeting_comparison(ab, scores="churn_risk", outcome="repurchased", arm="arm", budget=1.5)
    with pytest.raises(InputError, match="seed"):
        ex.simulate_campaign(100, seed=-1)


# -------------------------------------------------------------------------------------------- DiD
def test_all_units_treated_at_once_is_no_variation_in_treatment(panel):
    at_once = panel.assign(first_treated=5.0)
    for func in (ex.twfe, ex.event_study, ex.group_time_att):
        with pytest.raises(IdentificationError, match="no variation in treatment - every unit adopts in the same"):
            func(at_once, **KW)
    with pytest.raises(IdentificationError, match="no unit is ever treated"):
        ex.twfe(panel.assign(first_treated=np.nan), **KW)
    with pytest.raises(IdentificationError, match="treated from the first period"):
        ex.twfe(panel.assign(first_treated=1.0), **KW)
    assert issubclass(IdentificationError, RetailkitError)


def test_malformed_periods_are_named(panel):
    dates = panel.assign(period=pd.Timestamp("2024-01-01") + pd.to_timedelta(panel["period"] * 31, unit="D"))
    with pytest.raises(InputError, match=r"timestamps.*to_period\('M'\)"):
        ex.twfe(dates, **KW)
    yyyymm = panel.assign(period=202400 + panel["period"] + 88 * (panel["period"] > 9),
                          first_treated=202400 + panel["first_treated"])
    with pytest.raises(InputError, match="consecutive.*yyyymm"):
        ex.twfe(yyyymm, **KW)
    with pytest.raises(InputError, match="whole period numbers"):
        ex.twfe(panel.assign(period=panel["period"] + 0.5), **KW)
    with pytest.raises(InputError, match="periods must be integers"):
        ex.twfe(panel.assign(period="p" + panel["period"].astype(str)), **KW)
    months = pd.period_range("2024-01", periods=10, freq="M")
    mixed = panel.assign(period=months[panel["period"] - 1])
    with pytest.raises(InputError, match="same form"):
        ex.twfe(mixed, **KW)
    missing = panel.astype({"period": "float64"})
    missing.loc[missing.index[4], "period"] = np.nan
    with pytest.raises(InputError, match="missing values.*every row needs a period"):
        ex.group_time_att(missing, **KW)


def test_panel_structure_problems(panel):
    dup = pd.concat([panel, panel.head(2)])
    with pytest.raises(InputError, match="duplicate"):
        ex.twfe(dup, **KW)
    varying = panel.copy()
    varying.loc[varying.index[0], "first_treated"] = 3.0
    with pytest.raises(InputError, match=r"differs within unit\(s\) \[1\]"):
        ex.twfe(varying, **KW)
    with pytest.raises(SchemaError, match="no column 'store'"):
        ex.twfe(panel, **{**KW, "unit": "store"})
    with pytest.raises(InputError, match="leads"):
        ex.event_study(panel, leads=1, **KW)
    with pytest.raises(InputError, match="control_group"):
        ex.group_time_att(panel, control_group="everyone", **KW)
    with pytest.raises(IdentificationError, match="never_treated"):
        ex.group_time_att(panel.assign(first_treated=panel["first_treated"].fillna(4.0)),
                          control_group="never_treated", **KW)
