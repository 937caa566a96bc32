"""Traffic lens and unit economics on a hand-made store whose answers are worked out below."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

import retailkit as rk
from retailkit import plots
from retailkit.metrics import economics as econ
from retailkit.metrics import traffic


def _ts(s):
    return pd.Timestamp(s, tz="UTC")


@pytest.fixture(scope="module")
def shop():
    """Three customers, five orders, one return.  Products: A costs 4 (price 10), B costs 20 (50)."""
    stores = pd.DataFrame({"store_id": ["web"], "name": ["Web"], "city": ["NYC"], "format": ["online"],
                           "timezone": ["America/New_York"]})
    products = pd.DataFrame({"sku": ["A", "B"], "name": ["a", "b"], "category": ["x", "y"],
                             "unit_cost": [4.0, 20.0], "list_price": [10.0, 50.0],
                             "launched_on": ["2023-01-01", "2023-01-01"]})
    customers = pd.DataFrame({
        "customer_id": [1, 2, 3], "name": ["a", "b", "c"], "email": ["a@x", "b@x", "c@x"], "city": ["n"] * 3,
        "acquired_at": [_ts("2024-01-05 15:00"), _ts("2024-01-20 15:00"), _ts("2024-02-10 15:00")],
        "channel": pd.Categorical(["search_ads", "organic", "search_ads"], categories=["organic", "search_ads"]),
        "store_id": ["web"] * 3, "true_lambda": [0.1] * 3, "true_p": [0.1] * 3, "true_nu": [0.1] * 3,
        "true_dropout_at": [pd.NaT] * 3,
    })
    orders = pd.DataFrame({
        "order_id": [1, 2, 3, 4, 5], "customer_id": [1, 2, 1, 3, 1], "store_id": ["web"] * 5,
        "ordered_at": [_ts("2024-01-05 15:00"), _ts("2024-01-20 15:00"), _ts("2024-02-15 15:00"),
                       _ts("2024-02-10 15:00"), _ts("2024-03-31 15:00")],
        "gross_amount": [20.0, 50.0, 60.0, 10.0, 10.0], "discount_amount": [2.0, 0, 0, 0, 0],
        "amount": [18.0, 50.0, 60.0, 10.0, 10.0],
    })
    lines = pd.DataFrame({
        "order_id": [1, 2, 3, 3, 4, 5], "sku": ["A", "B", "A", "B", "A", "A"], "quantity": [2, 1, 1, 1, 1, 1],
        "unit_price": [10.0, 50, 10, 50, 10, 10], "discount_amount": [2.0, 0, 0, 0, 0, 0],
        "line_amount": [18.0, 50, 10, 50, 10, 10],
    })
    returns = pd.DataFrame({"order_id": [3], "sku": ["B"], "quantity": [1], "refund_amount": [50.0],
                            "returned_at": [_ts("2024-02-20 12:00")]})
    sessions = pd.DataFrame({
        "session_id": range(1, 8),
        "started_at": [_ts(x) for x in ("2024-01-05 14:50", "2024-01-06 12:00", "2024-01-20 14:50",
                                        "2024-02-10 14:50", "2024-02-11 12:00", "2024-02-15 14:50",
                                        "2024-03-31 14:50")],
        "channel": ["search_ads", "search_ads", "organic", "search_ads", "organic", "organic", "organic"],
        "customer_id": pd.array([1, None, 2, 3, 2, 1, 1], dtype="Int64"),
        "pageviews": [5, 1, 4, 3, 2, 6, 2],
        "order_id": pd.array([1, None, 2, 4, None, 3, 5], dtype="Int64"),
    })
    spend = pd.DataFrame({"spend_date": ["2024-01-05", "2024-02-10", "2024-01-01"],
                          "channel": ["search_ads", "search_ads", "retention"], "spend": [30.0, 12.0, 100.0]})
    return rk.StoreData(stores=stores, products=products, customers=customers, orders=orders,
                        order_lines=lines, returns=returns, sessions=sessions, marketing_spend=spend).validate()


def test_order_margins_by_hand(shop):
    m = econ.order_margins(shop).set_index("order_id")
    # order 3: paid 60, refunded 50 for B; only A (cost 4) was kept
    assert m.loc[3, "amount"] == 10 and m.loc[3, "refund_amount"] == 50 and m.loc[3, "cogs"] == 4
    np.testing.assert_allclose(m.loc[[1, 2, 3, 4, 5], "margin"], [18 - 8, 50 - 20, 10 - 4, 10 - 4, 10 - 4])
    assert m.loc[1, "gross_amount"] == 20 and m.loc[1, "discount_amount"] == 2


def test_acquisition_costs_leave_retention_out(shop):
    c = econ.acquisition_costs(shop).set_index("channel")
    assert c.loc["search_ads", ["spend", "new_customers", "cac"]].tolist() == [42.0, 2, 21.0]
    assert c.loc["organic", "cac"] == 0 and "retention" not in c.index
    by = econ.acquisition_costs(shop, by_cohort=True).set_index(["channel", "cohort"])["cac"]
    assert by.loc[("search_ads", pd.Period("2024-01", "M"))] == 30.0
    assert by.loc[("search_ads", pd.Period("2024-02", "M"))] == 12.0


def test_value_per_customer_masks_unobserved_months(shop):
    v = econ.value_per_customer(shop)
    jan = v[(v["channel"] == "search_ads") & (v["cohort"] == pd.Period("2024-01", "M"))]
    assert jan["cum_margin_per_customer"].tolist() == [10.0, 16.0, 22.0]
    feb = v[(v["channel"] == "search_ads") & (v["cohort"] == pd.Period("2024-02", "M"))]
    # the February cohort has two complete months (Feb, Mar); nothing later is observable
    assert feb["cum_margin_per_customer"].tolist() == [6.0, 6.0]
    assert v["observable"].all() or v.loc[~v["observable"], "cum_margin_per_customer"].isna().all()


def test_payback_month_by_hand(shop):
    p = econ.payback(shop, min_customers=1).set_index("channel")
    # search_ads CAC 21; pooled value: month 0 (10+6)/2=8, month 1 (16+6)/2=11, month 2 only Jan: 22
    assert p.loc["search_ads", "cac"] == 21.0
    assert p.loc["search_ads", "payback_month"] == 2
    assert np.isnan(p.loc["search_ads", "value_3m"])
    assert p.loc["organic", "payback_month"] == 0  # no acquisition cost
    assert econ.payback(shop, min_customers=2).attrs["rows_left_out"] == {
        "channels with fewer than 2 customers": 1}


def test_funnel_totals_add_up(shop):
    f = traffic.funnel(shop, period=None).set_index("channel")
    assert f.loc["search_ads", ["sessions", "known_sessions", "orders", "new_customers"]].tolist() == [3, 2, 2, 2]
    assert f.loc["organic", ["sessions", "known_sessions", "orders", "new_customers"]].tolist() == [4, 4, 3, 1]
    assert f.loc["search_ads", "conversion"] == pytest.approx(2 / 3)
    total = traffic.funnel(shop, period=None, by=None)
    cols = ["sessions", "known_sessions", "orders", "new_customers"]
    assert total[cols].iloc[0].tolist() == f[cols].sum().tolist()
    monthly = traffic.funnel(shop, period="M")
    assert monthly.groupby("channel")[cols].sum().loc[f.index].equals(f[cols])


def test_gmv_decomposition_identity_and_kpis(shop):
    d = traffic.gmv_decomposition(shop, period="M")
    np.testing.assert_allclose(d["sessions"] * d["conversion"] * d["aov"], d["gmv"])
    parts = d["dlog_sessions"] + d["dlog_conversion"] + d["dlog_aov"]
    np.testing.assert_allclose(d["dlog_gmv"].iloc[1:], parts.iloc[1:])
    k = traffic.kpi_table(shop, period="M").set_index("period")
    jan = k.loc[pd.Period("2024-01", "M")]
    assert (jan["sessions"], jan["new_customers"], jan["orders"], jan["gmv"]) == (3, 2, 2, 70.0)
    assert jan["acquisition_spend"] == 30.0 and jan["blended_cac"] == 15.0
    assert k.loc[pd.Period("2024-02", "M"), "gmv_growth"] == pytest.approx(70 / 70 - 1)


def test_gmv_new_vs_returning(shop):
    g = traffic.gmv_new_vs_returning(shop, period="M").set_index("period")
    assert g.loc[pd.Period("2024-01", "M"), ["new_gmv", "returning_gmv"]].tolist() == [70.0, 0.0]
    assert g.loc[pd.Period("2024-02", "M"), ["new_gmv", "returning_gmv"]].tolist() == [10.0, 60.0]


def test_bad_arguments_are_named(shop):
    with pytest.raises(rk.InputError, match="period must be one of"):
        traffic.funnel(shop, period="fortnight")
    with pytest.raises(rk.InputError, match="by must be 'channel' or None"):
        traffic.funnel(shop, by="city")
    with pytest.raises(rk.InputError, match="by='segment' is not a column"):
        econ.value_per_customer(shop, by="segment")


def test_plots_draw_titled_labelled_axes(shop):
    tx = rk.transactions(shop)
    axes = [
        plots.cohort_heatmap(rk.cohort_table(tx, period="M")),
        plots.retention_curves(rk.retention_curve(tx, by="channel", period="M"), hue="channel"),
        plots.funnel(traffic.funnel(shop, period=None)),
        plots.gmv_decomposition(traffic.gmv_decomposition(shop, period="M")),
        plots.new_vs_returning(rk.returning_revenue_share(tx, period="M")),
        plots.rfm_segment_map(rk.rfm_segments(rk.rfm_scores(tx))),
        plots.payback_curves(econ.value_per_customer(shop), econ.acquisition_costs(shop), min_customers=1),
    ]
    for ax in axes:
        assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    matplotlib.pyplot.close("all")
    with pytest.raises(rk.InputError, match=r"plots.funnel: the data lacks column\(s\) \['conversion'\]"):
        plots.funnel(pd.DataFrame({"channel": ["a"], "sessions": [1], "orders": [1]}))


def test_incomplete_trailing_period_is_left_out_and_counted(shop):
    import dataclasses

    late = pd.DataFrame({"order_id": [6], "customer_id": [2], "store_id": ["web"],
                         "ordered_at": [_ts("2024-04-02 15:00")], "gross_amount": [10.0],
                         "discount_amount": [0.0], "amount": [10.0]})
    line = pd.DataFrame({"order_id": [6], "sku": ["A"], "quantity": [1], "unit_price": [10.0],
                         "discount_amount": [0.0], "line_amount": [10.0]})
    more = dataclasses.replace(shop, orders=pd.concat([shop.orders, late], ignore_index=True),
                               order_lines=pd.concat([shop.order_lines, line], ignore_index=True))
    q = traffic.kpi_table(more, period="Q")
    assert q["period"].astype(str).tolist() == ["2024Q1"]  # April alone is not a quarter
    assert q.attrs["rows_left_out"]["orders in incomplete or later periods"] == 1
    every = traffic.kpi_table(more, period="Q", complete_only=False)
    assert every["period"].astype(str).tolist() == ["2024Q1", "2024Q2"]


def test_payback_per_cohort_by_hand(shop):
    p = econ.payback(shop, by_cohort=True, min_customers=1).set_index(["channel", "cohort"])
    jan, feb = pd.Period("2024-01", "M"), pd.Period("2024-02", "M")
    # January's search_ads cohort cost 30 and is worth 10, 16, 22: not paid back in three months
    assert p.loc[("search_ads", jan), "cac"] == 30 and np.isnan(p.loc[("search_ads", jan), "payback_month"])
    assert p.loc[("search_ads", jan), "months_observed"] == 3
    assert p.loc[("search_ads", feb), "cac"] == 12 and np.isnan(p.loc[("search_ads", feb), "payback_month"])
    assert p.loc[("organic", jan), "payback_month"] == 0


def test_cac_and_value_cohorts_describe_the_same_customers():
    s = rk.load_sample("traffic_first")
    cac = econ.acquisition_costs(s, by_cohort=True).set_index(["channel", "cohort"])["new_customers"]
    value = econ.value_per_customer(s).drop_duplicates(["channel", "cohort"]).set_index(["channel", "cohort"])
    both = value["customers"].to_frame().join(cac, how="inner")
    assert len(both) == len(value)
    assert (both["customers"] == both["new_customers"]).all()


def test_money_axis_formats_signs_and_small_amounts():
    fig, ax = matplotlib.pyplot.subplots()
    plots.money_axis(ax)
    fmt = ax.yaxis.get_major_formatter()
    assert [fmt(v, 0) for v in (-5, 2.5, 7.5, 20, 1500, -2_500_000)] == [
        "-$5", "$2.50", "$7.50", "$20", "$1.5k", "-$2.5M"]
    matplotlib.pyplot.close(fig)
