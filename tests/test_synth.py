"""The synthetic world: invariants, determinism, scenarios, and the textbook world's exactness."""

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

import retailkit as rk
from retailkit.synth import BGNBD, Channel, GammaGammaSpend, Scenario, expected_customers
from retailkit.synth.presets import TEXTBOOK_PURCHASE, TEXTBOOK_SPEND


# ----------------------------------------------------------------------------- invariants
@pytest.mark.parametrize("name", ["traffic_first", "retention_first", "textbook"])
def test_generated_worlds_validate(small_stores, name):
    store = small_stores[name]
    assert store.validate() is store
    assert len(store.customers) > 1000


def test_invariants_hold_explicitly(traffic_store):
    s = traffic_store
    for table, key in (("customers", "customer_id"), ("orders", "order_id"), ("sessions", "session_id")):
        assert getattr(s, table)[key].is_unique, table
    o = s.orders.merge(s.customers[["customer_id", "acquired_at", "true_dropout_at"]], on="customer_id")
    assert (o["ordered_at"] >= o["acquired_at"]).all()
    died = o["true_dropout_at"].notna()
    assert (o.loc[died, "ordered_at"] <= o.loc[died, "true_dropout_at"]).all()
    # each customer's first order is their acquisition
    first = o.groupby("customer_id")["ordered_at"].min()
    assert (first == s.customers.set_index("customer_id")["acquired_at"].reindex(first.index)).all()
    for col in ("gross_amount", "discount_amount", "amount"):
        assert (s.orders[col] >= 0).all()
    assert (s.marketing_spend["spend"] >= 0).all()
    lines = s.order_lines.set_index(["order_id", "sku"])
    back = s.returns.set_index(["order_id", "sku"])
    assert (back["quantity"] <= lines.loc[back.index, "quantity"]).all()
    assert (back["refund_amount"] <= lines.loc[back.index, "line_amount"] + 1e-9).all()
    # order totals are the sums of their lines, to the cent
    sums = s.order_lines.groupby("order_id")["line_amount"].sum()
    np.testing.assert_allclose(sums.to_numpy(), s.orders.set_index("order_id")["amount"].loc[sums.index], atol=1e-6)


def test_sessions_link_to_orders(traffic_store):
    s = traffic_store
    conv = s.sessions.dropna(subset=["order_id"])
    # every order has exactly one converting session, by the same customer
    assert conv["order_id"].is_unique
    assert set(conv["order_id"].astype(int)) == set(s.orders["order_id"])
    who = s.orders.set_index("order_id")["customer_id"]
    assert (conv["customer_id"].astype(int).to_numpy() == who.loc[conv["order_id"].astype(int)].to_numpy()).all()
    # first orders come through the acquisition channel
    first = s.orders.merge(s.customers[["customer_id", "acquired_at", "channel"]], on="customer_id")
    first = first[first["ordered_at"] == first["acquired_at"]]
    linked = conv.set_index(conv["order_id"].astype(int))["channel"].astype(str)
    assert (linked.loc[first["order_id"]].to_numpy() == first["channel"].astype(str).to_numpy()).all()
    # anonymous sessions never convert
    assert s.sessions.loc[s.sessions["customer_id"].isna(), "order_id"].isna().all()


def test_spend_matches_sessions_bought(traffic_store):
    """Purely paid channels: total spend = sessions x cost per session (to rounding)."""
    s, sc = traffic_store, traffic_store.scenario
    counts = s.sessions["channel"].value_counts()
    spend = s.marketing_spend.groupby("channel", observed=True)["spend"].sum()
    checked = 0
    for c in sc.channels:
        paid_only = c.daily_spend > 0 and c.base_sessions == 0 and c.sessions_per_order == 0
        if paid_only and c.name not in (sc.returning_channel, sc.store_channel):
            days = sc.horizon_days
            assert spend[c.name] == pytest.approx(counts[c.name] * c.cost_per_session, abs=0.005 * days)
            checked += 1
    assert checked >= 2
    # the retention budget is booked daily, rounded to the cent
    assert spend["retention"] == pytest.approx(sc.retention.daily_spend * sc.horizon_days, abs=0.005 * sc.horizon_days)


def test_validate_reports_broken_data(traffic_store):
    s = traffic_store
    orders = s.orders.copy()
    orders.loc[3, "ordered_at"] = orders.loc[3, "ordered_at"] - pd.Timedelta(days=9999)
    broken = dataclasses.replace(s, orders=orders)
    with pytest.raises(rk.DataValidationError, match="ordered before the customer was acquired"):
        broken.validate()
    ret = s.returns.copy()
    ret.loc[0, "quantity"] = 10_000
    with pytest.raises(rk.DataValidationError, match="returns: quantity exceeds the units bought"):
        dataclasses.replace(s, returns=ret).validate()
    cust = pd.concat([s.customers, s.customers.iloc[[0]]], ignore_index=True)
    with pytest.raises(rk.DataValidationError, match=r"customers: duplicate key \['customer_id'\]"):
        dataclasses.replace(s, customers=cust).validate()


# ----------------------------------------------------------------------------- determinism
def test_same_seed_same_world_other_seed_different():
    sc = Scenario.preset("retention_first")
    a = rk.generate(sc, seed=5, n_customers=800, progress=False)
    b = rk.generate(sc, seed=5, n_customers=800, progress=False)
    c = rk.generate(sc, seed=6, n_customers=800, progress=False)
    for name, df in a.tables().items():
        pd.testing.assert_frame_equal(df, b.tables()[name], check_exact=True, obj=name)
    assert not a.orders.equals(c.orders)
    assert not a.customers["name"].equals(c.customers["name"])


def test_stored_scenario_regenerates_the_same_world():
    a = rk.generate("traffic_first", seed=3, n_customers=600, progress=False)
    again = rk.generate(a.scenario, seed=a.seed, progress=False)
    pd.testing.assert_frame_equal(a.orders, again.orders)


def test_n_customers_scales_acquisition():
    # The pilot's estimate has about 1% noise (20,000 pilot customers) and the run itself about
    # 1/sqrt(4000) = 1.6% Poisson noise, inflated a little by referral feedback: 10% is > 4 sd.
    for name in ("traffic_first", "textbook"):
        store = rk.generate(name, n_customers=4000, seed=2, progress=False)
        assert abs(len(store.customers) / 4000 - 1) < 0.10, (name, len(store.customers))


def test_chinese_locale_works():
    sc = Scenario.preset("textbook").replace(locale="zh_CN")
    store = rk.generate(sc, n_customers=300, seed=1, progress=False).validate()
    # Chinese names are written in CJK characters
    assert store.customers["name"].str.contains(r"[\u4e00-\u9fff]").mean() > 0.9
    assert store.customers["email"].str.contains("@").all()
    assert store.customers["email"].is_unique


# ----------------------------------------------------------------------------- presets
def test_strategies_differ_in_strategy_only():
    tf, rf = Scenario.preset("traffic_first"), Scenario.preset("retention_first")
    assert tf.daily_budget == pytest.approx(rf.daily_budget)
    assert (tf.stores, tf.catalogue, tf.start_date, tf.horizon_days, tf.seasonality) == (
        rf.stores, rf.catalogue, rf.start_date, rf.horizon_days, rf.seasonality)
    assert tf.channel_names == rf.channel_names
    for a, b in zip(tf.channels, rf.channels, strict=True):
        # the same customers behind every channel; only the money differs
        assert dataclasses.replace(a, daily_spend=0) == dataclasses.replace(b, daily_spend=0)
    assert tf.acquisition_share > 0.8 > 0.5 > rf.acquisition_share
    assert rf.retention.dropout_multiplier < tf.retention.dropout_multiplier
    assert tf.horizon_days >= 2 * 365


def test_strategy_worlds_share_stores_and_catalogue_tables():
    """Same seed, same catalogue and stores: identical products (names too) and stores, whatever
    the number of customers each strategy brings."""
    a = rk.generate("traffic_first", seed=4, n_customers=900, progress=False)
    b = rk.generate("retention_first", seed=4, n_customers=500, progress=False)
    pd.testing.assert_frame_equal(a.products, b.products)
    pd.testing.assert_frame_equal(a.stores, b.stores)


def test_with_retention_names_the_field():
    sc = Scenario.preset("traffic_first").with_retention(daily_spend=0.0)
    assert sc.retention.daily_spend == 0 and sc.retention.dropout_multiplier == 1
    with pytest.raises(rk.ScenarioError, match=r"retention\.max_dropout_reduction"):
        Scenario.preset("traffic_first").with_retention(max_dropout_reduction=1.5)


def test_retention_ramp_strength_and_validation():
    ret = Scenario.preset("retention_first").retention
    assert ret.ramp_months == 12
    year = 12 * 365.25 / 12
    np.testing.assert_allclose(ret.strength([0.0, year / 2, year, 3 * year]), [0.0, 0.5, 1.0, 1.0])
    assert rk.synth.Retention(daily_spend=10.0).strength(0.0) == 1.0  # no ramp: full strength at once
    with pytest.raises(rk.ScenarioError, match=r"retention\.ramp_months"):
        Scenario.preset("traffic_first").with_retention(ramp_months=-1.0)


def test_retention_programme_strength_follows_acquisition_date():
    """Each customer's drop-out probability is a Beta(a, b) draw times ``1 - max_dropout_reduction
    * f * strength(acquisition day)``.  Dividing the multiplier out must leave Beta draws: the mean
    of p / multiplier / E[Beta] is 1 with a known standard error.  |z| < 4 fails by chance with
    probability about 6e-5; getting the ramp backwards (full strength at the start) moves the
    early customers' p by a factor of about 3 and gives |z| far above 10.  The same check on the
    purchase rate uses the Gamma mean r / alpha."""
    store = rk.generate("retention_first", seed=11, n_customers=8_000, progress=False)
    sc, c = store.scenario, store.customers
    ret = sc.retention
    truth = rk.synth.retention_effect(store)
    assert truth.index.equals(pd.Index(c["customer_id"]))
    local_day = truth["acquired_day"]
    effect = ret.effect_share * truth["strength"].to_numpy()
    assert effect.min() < 0.1 * ret.effect_share and effect.max() == pytest.approx(ret.effect_share)
    channel = c["channel"].astype(str)
    a = channel.map({ch.name: ch.purchase.a for ch in sc.channels}).to_numpy()
    b = channel.map({ch.name: ch.purchase.b for ch in sc.channels}).to_numpy()
    r = channel.map({ch.name: ch.purchase.r for ch in sc.channels}).to_numpy()
    alpha = channel.map({ch.name: ch.purchase.alpha for ch in sc.channels}).to_numpy()
    p_base = c["true_p"].to_numpy() / truth["dropout_multiplier"].to_numpy()
    u = p_base / (a / (a + b))  # mean 1, variance b / (a (a + b + 1))
    z_p = (u.mean() - 1) / np.sqrt((b / (a * (a + b + 1))).mean() / len(u))
    assert abs(z_p) < 4, z_p
    lam_base = c["true_lambda"].to_numpy() / truth["rate_multiplier"].to_numpy()
    v = lam_base / (r / alpha)  # mean 1, variance 1 / r
    z_lam = (v.mean() - 1) / np.sqrt((1 / r).mean() / len(v))
    assert abs(z_lam) < 4, z_lam
    # and the ramp shows in the data: customers of the first quarter drop out more often than
    # customers acquired after the programme was built
    early, late = (local_day < 91).to_numpy(), (local_day >= 366).to_numpy()
    assert c.loc[early, "true_p"].mean() > 1.5 * c.loc[late, "true_p"].mean()


def test_textbook_is_stationary_bgnbd_gamma_gamma():
    tb = Scenario.preset("textbook")
    assert tb.seasonality.stationary and not tb.returns
    assert {c.purchase for c in tb.channels} == {TEXTBOOK_PURCHASE}
    assert {c.spend for c in tb.channels} == {TEXTBOOK_SPEND}
    assert all(c.first_order_discount == 0 for c in tb.channels)
    assert tb.retention.dropout_multiplier == 1 and tb.retention.rate_multiplier == 1


def test_textbook_purchases_match_bgnbd_expectation():
    """Given each customer's true lambda and p, BG/NBD says the expected number of repeat purchases
    in (0, T] is (1 - exp(-lambda p T)) / p and P(no repeat) = exp(-lambda T).

    The test sums observed-minus-expected over 20,000 independent customers; the z statistic uses
    the observed squared deviations as its variance, so under the model it is close to N(0, 1).
    |z| < 4 fails by chance with probability about 6e-5 (the seed is fixed anyway), while a 3%
    bias in the purchase process gives |z| of about 10 here."""
    store = rk.generate("textbook", n_customers=20_000, seed=7, progress=False)
    c = store.customers.set_index("customer_id")
    x = store.orders.groupby("customer_id").size().reindex(c.index).to_numpy() - 1
    end = pd.Timestamp(store.scenario.start_date, tz="UTC") + pd.Timedelta(days=store.scenario.horizon_days)
    T = ((end - c["acquired_at"]).dt.total_seconds() / (7 * 86400)).to_numpy()
    lam, p = c["true_lambda"].to_numpy(), c["true_p"].to_numpy()
    expected = -np.expm1(-lam * p * T) / p
    dev = x - expected
    z = dev.sum() / np.sqrt((dev**2).sum())
    assert abs(z) < 4, z
    zero = (x == 0).astype(float) - np.exp(-lam * T)
    z0 = zero.sum() / np.sqrt((zero**2).sum())
    assert abs(z0) < 4, z0
    # Spend: order values are Gamma(p, rate=nu) with the true nu; mean p/nu per order
    o = store.orders.merge(c[["true_nu"]], left_on="customer_id", right_index=True)
    ratio = o["gross_amount"] * o["true_nu"] / TEXTBOOK_SPEND.p  # mean 1, variance 1/p per order
    z_spend = (ratio.mean() - 1) / np.sqrt(1 / TEXTBOOK_SPEND.p / len(ratio))
    assert abs(z_spend) < 4, z_spend


def test_dropout_follows_the_truth():
    """Customers flagged as dropped out have made at least one repeat purchase, and the drop-out
    is their last order (BG/NBD drop-out happens right after a repeat purchase)."""
    store = rk.generate("textbook", n_customers=3000, seed=8, progress=False)
    c = store.customers.set_index("customer_id")
    last = store.orders.groupby("customer_id")["ordered_at"].max()
    n = store.orders.groupby("customer_id").size()
    dead = c["true_dropout_at"].notna()
    assert (n[dead[dead].index] >= 2).all()
    assert (last[dead[dead].index] == c.loc[dead, "true_dropout_at"]).all()


# ----------------------------------------------------------------------------- JSON and bad values
@pytest.mark.parametrize("name", ["traffic_first", "retention_first", "textbook"])
def test_json_round_trip(name):
    sc = Scenario.preset(name)
    assert Scenario.from_json(sc.to_json()) == sc
    assert Scenario.from_json(sc.scaled(0.37).to_json()) == sc.scaled(0.37)


def _edit(sc, path, value):
    data = json.loads(sc.to_json())
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return json.dumps(data)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("channels", 1, "daily_spend"), -5, r"channels\[1\]\.daily_spend: must be a number >= 0"),
        (("channels", 2, "conversion"), 1.5, r"channels\[2\]\.conversion: must be a probability"),
        (("channels", 0, "purchase", "a"), 0, r"channels\[0\]\.purchase\.a: must be a positive number"),
        (("channels", 3, "first_order_discount"), 1.0, r"channels\[3\]\.first_order_discount"),
        (("channels", 0, "spend", "q"), 0.8, r"channels\[0\]\.spend\.q: must exceed 1"),
        (("stores", 1, "timezone"), "Mars/Olympus", r"stores\[1\]\.timezone: unknown IANA time zone"),
        (("start_date",), "2023-13-01", r"start_date: must be an ISO date"),
        (("horizon_days",), "long", r"horizon_days: expected an integer"),
        (("catalogue", "categories", 0, "return_rate"), 2.0, r"catalogue\.categories\[0\]\.return_rate"),
        (("seasonality", "weekly"), [1, 1, 1], r"seasonality\.weekly: must hold 7 positive weights"),
    ],
)
def test_bad_scenario_values_name_the_field(path, value, message):
    text = _edit(Scenario.preset("traffic_first"), path, value)
    with pytest.raises(rk.ScenarioError, match=message):
        Scenario.from_json(text)


def test_bad_scenario_in_python_names_the_field():
    with pytest.raises(rk.ScenarioError, match="conversion: must be a probability"):
        Channel("x", 10.0, 1.0, 1.2, 0.0, BGNBD(1, 1, 1, 1), GammaGammaSpend(2, 3, 4))
    with pytest.raises(rk.ScenarioError, match=r"channels\[0\]\.daily_spend"):
        Scenario.preset("textbook").with_channel("organic", daily_spend=-1.0).to_json()
    with pytest.raises(rk.ScenarioError, match="no channel named 'tv'"):
        Scenario.preset("textbook").with_channel("tv", daily_spend=1.0)


def test_unknown_preset_and_malformed_json():
    with pytest.raises(rk.ScenarioError, match=r"unknown preset 'black_friday'.*traffic_first"):
        Scenario.preset("black_friday")
    with pytest.raises(rk.ScenarioError, match="malformed scenario JSON at line 1, column"):
        Scenario.from_json('{"name": "x",')
    with pytest.raises(rk.ScenarioError, match=r"unknown field\(s\) \['colour'\]"):
        Scenario.from_json(_edit(Scenario.preset("textbook"), ("colour",), "red"))
    data = json.loads(Scenario.preset("textbook").to_json())
    del data["channels"][0]["conversion"]
    with pytest.raises(rk.ScenarioError, match=r"channels\[0\]\.conversion: missing required field"):
        Scenario.from_dict(data)


def test_generate_rejects_bad_arguments():
    with pytest.raises(rk.ScenarioError, match="n_customers: must be a positive integer"):
        rk.generate("textbook", n_customers=0, progress=False)
    with pytest.raises(rk.ScenarioError, match="seed: must be a non-negative integer"):
        rk.generate("textbook", seed=-1, progress=False)
    with pytest.raises(rk.ScenarioError, match="locale: Faker does not know the locale"):
        rk.generate(Scenario.preset("textbook").replace(locale="xx_XX"), n_customers=100, progress=False)


def test_expected_customers_is_linear_in_scale():
    sc = Scenario.preset("textbook")
    # same pilot seed: the pilot runs at the same absolute size, so the ratio is exact up to
    # the pilot's own noise (about 1%)
    assert expected_customers(sc.scaled(2.0)) / expected_customers(sc) == pytest.approx(2.0, rel=0.03)


# ----------------------------------------------------------------------------- memberships, campaign, loyalty
@pytest.fixture(scope="module")
def programme_world():
    return rk.generate("retention_first", n_customers=12_000, seed=21, progress=False)


def test_memberships_follow_yearly_renewals(programme_world):
    s = programme_world
    m = s.memberships
    period = pd.Timedelta(days=s.scenario.membership.period_days)
    end = pd.Timestamp(s.scenario.end_date)
    lapsed = m["ended_on"].notna()
    # a lapsed membership ends on the first anniversary it was not renewed
    assert (m.loc[lapsed, "ended_on"] == m.loc[lapsed, "started_on"] + (m.loc[lapsed, "renewals"] + 1) * period).all()
    # an active one has renewed at every anniversary seen so far
    nxt = m.loc[~lapsed, "started_on"] + (m.loc[~lapsed, "renewals"] + 1) * period
    assert (nxt >= end).all()
    assert set(m["customer_id"]) <= set(s.customers["customer_id"])
    # members start on their first order's (local) date
    first = rk.transactions(s).loc[lambda d: d["is_first"]].set_index("customer_id")["order_date"]
    assert (m.set_index("customer_id")["started_on"] == first.reindex(m["customer_id"]).to_numpy()).all()


def test_membership_churn_follows_sbg_per_channel(programme_world):
    """Members' true churn probabilities are Beta(alpha, beta) draws per channel.  Transformed by
    their own channel's Beta CDF they are uniform; a Kolmogorov-Smirnov test over all members
    pooled (about 1,100) rejects a correct generator with probability 0.001, and a channel mixed up
    with another (means 0.15 against 0.30) with near certainty."""
    from scipy import stats

    s = programme_world
    m = s.memberships.merge(s.customers[["customer_id", "channel"]], on="customer_id")
    terms = {t.channel: t for t in s.scenario.membership.terms}
    ch = m["channel"].astype(str)
    u = stats.beta.cdf(m["true_churn_p"], ch.map(lambda c: terms[c].alpha), ch.map(lambda c: terms[c].beta))
    assert len(u) > 500
    assert stats.kstest(u, "uniform").pvalue > 0.001


def test_campaign_is_randomised_and_its_effect_is_real(programme_world):
    """The arms are balanced, ineligible customers are left out, and the difference in repurchase
    between arms estimates the mean true effect (a randomised experiment is unbiased).  Tolerance:
    4 standard errors of the difference in proportions."""
    s = programme_world
    c = s.scenario.campaigns[0]
    a = s.campaign_assignments
    tenure = (a["assigned_at"] - a.merge(s.customers, on="customer_id")["acquired_at"]).dt.days
    assert (tenure >= c.min_tenure_days - 1).all()
    n_t = (a["arm"] == "treatment").sum()
    assert abs(n_t / len(a) - c.treated_share) < 4 * np.sqrt(0.25 / len(a))
    assert (a.loc[~a["true_alive"], "true_effect"] == 0).all()
    tx = rk.transactions(s)
    start, stop = pd.Timestamp(c.start_date), pd.Timestamp(c.start_date) + pd.Timedelta(days=c.window_days)
    window = tx[(tx["order_date"] >= start) & (tx["order_date"] < stop)]
    a = a.assign(bought=a["customer_id"].isin(window["customer_id"]))
    rates = a.groupby("arm")["bought"].mean()
    diff = rates["treatment"] - rates["control"]
    se = np.sqrt(sum(rates[k] * (1 - rates[k]) / (a["arm"] == k).sum() for k in ("treatment", "control")))
    assert abs(diff - a["true_effect"].mean()) < 4 * se, (diff, a["true_effect"].mean(), se)
    assert diff > 2 * se  # the campaign works in this world
    # the effect peaks in the middle of recency: customers most at risk gain little
    assert a["true_effect"].max() <= c.max_effect


def test_loyalty_rollout_multiplies_purchase_rates_exactly():
    """A stationary world with (almost) no drop-out: a customer's purchases in a span of days are
    Poisson with mean lambda/7 * sum of the loyalty multiplier over those days.  Summed over the
    customers of a store that launched the programme, observed minus expected is N(0, var) with
    var = the expected count; |z| < 4 fails by chance with probability 6e-5.  The same counts
    compared with an expectation that ignores the programme are far off (a 50% uplift)."""
    from retailkit.synth import Loyalty, LoyaltyRollout, Store

    tb = Scenario.preset("textbook")
    loyal = dataclasses.replace(tb.channels[0].purchase, a=0.01, b=200.0)  # p ~ 5e-5: nobody drops out
    sc = tb.replace(
        stores=(Store("online", "online", "UTC"), Store("a", "physical", "UTC", share=0.5),
                Store("b", "physical", "UTC", share=0.5)),
        channels=tuple(dataclasses.replace(c, purchase=loyal, daily_spend=0.0 if c.name != "offline" else 400.0,
                                           base_sessions=0.0) for c in tb.channels),
        loyalty=Loyalty(max_uplift=0.5, ramp_months=2.0, rollouts=(LoyaltyRollout("a", "2023-09-01"),)),
    )
    s = rk.generate(sc, seed=12, progress=False)
    c = s.customers.set_index("customer_id")
    tx = rk.transactions(s)
    start, launch = pd.Timestamp(sc.start_date), pd.Timestamp("2023-09-01")
    days = np.arange(sc.horizon_days)
    ramp = np.clip((days - (launch - start).days) / (2.0 * 365.25 / 12), 0, 1)
    mult = np.where(days >= (launch - start).days, 1 + 0.5 * ramp, 1.0)
    cum = np.concatenate([[0.0], np.cumsum(mult)])
    first_day = ((c["acquired_at"].dt.tz_localize(None).dt.normalize() - start).dt.days).to_numpy()
    for store, multiplied in (("a", True), ("b", False)):
        who = c["store_id"].to_numpy() == store
        # purchases on the days after the acquisition day (the acquisition day is partly observed)
        exposure = (cum[-1] - cum[first_day[who] + 1]) if multiplied else (sc.horizon_days - first_day[who] - 1)
        expected = (c.loc[who, "true_lambda"].to_numpy() / 7 * exposure).sum()
        rep = tx[~tx["is_first"] & tx["customer_id"].isin(c.index[who])]
        acq_day = pd.Series(first_day, index=c.index).reindex(rep["customer_id"]).to_numpy()
        observed = int(((rep["order_date"] - start).dt.days.to_numpy() > acq_day).sum())
        assert abs(observed - expected) < 4 * np.sqrt(expected), (store, observed, expected)
        if multiplied:
            flat = (c.loc[who, "true_lambda"].to_numpy() / 7 * (sc.horizon_days - first_day[who] - 1)).sum()
            assert (observed - flat) / np.sqrt(flat) > 10


def test_programme_scenario_errors_name_the_field():
    sc = Scenario.preset("traffic_first")
    with pytest.raises(rk.ScenarioError, match=r"loyalty.rollouts\[0\].store_id: 'mars' is not one of the stores"):
        sc.replace(loyalty=dataclasses.replace(sc.loyalty, rollouts=(dataclasses.replace(
            sc.loyalty.rollouts[0], store_id="mars"),)))
    with pytest.raises(rk.ScenarioError, match=r"campaigns\[0\].start_date: the campaign needs 90 days of history"):
        sc.replace(campaigns=(dataclasses.replace(sc.campaigns[0], start_date="2023-02-01"),))
    with pytest.raises(rk.ScenarioError, match=r"membership.terms\[0\].channel: 'tv' is not one of the channels"):
        sc.replace(membership=dataclasses.replace(sc.membership, terms=(dataclasses.replace(
            sc.membership.terms[0], channel="tv"),)))
