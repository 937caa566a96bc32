"""Tests of retailkit.metrics.rfm: quintile scores, segment precedence, summaries, migration."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

import retailkit as rk
from retailkit.errors import InputError, SchemaError
from retailkit.metrics.rfm import (
    NOT_YET_ACQUIRED,
    RFM_SEGMENT_RULES,
    migration_matrix,
    rfm_scores,
    rfm_segments,
    segment_migration,
    segment_summary,
)


def _summary(frequency, recency, T, monetary):
    return pd.DataFrame({"frequency": frequency, "recency": recency, "T": T, "monetary_value": monetary},
                        index=pd.Index(range(len(frequency)), name="customer_id"))


def test_quintiles_of_distinct_values():
    # purchase_days = frequency + 1 = 1..10; since_last = T - recency = 10..1 (customer 9 most recent)
    s = rfm_scores(_summary(list(range(10)), [0.0] * 10, [float(t) for t in range(10, 0, -1)], list(range(10))))
    assert s["F"].tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert s["M"].tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert s["R"].tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]  # higher R = more recent
    assert s["purchase_days"].tolist() == list(range(1, 11))
    assert s["since_last"].tolist() == [float(t) for t in range(10, 0, -1)]


def test_ties_share_the_score_of_their_lowest_position():
    # six one-time buyers (minimum rank 1), two with 2 days (rank 7), then 3 and 4 days (ranks 9, 10)
    s = rfm_scores(_summary([0, 0, 0, 0, 0, 0, 1, 1, 2, 3], [0.0] * 10, [5.0] * 10, [0.0] * 10))
    assert s["F"].tolist() == [1] * 6 + [4, 4, 5, 5]
    assert s["M"].tolist() == [1] * 10
    assert s["R"].tolist() == [1] * 10
    shuffled = rfm_scores(_summary([3, 1, 0, 0, 2, 0, 0, 1, 0, 0], [0.0] * 10, [5.0] * 10, [0.0] * 10))
    assert sorted(shuffled["F"]) == sorted(s["F"])  # order independent


def test_scores_from_a_transaction_log():
    df = pd.DataFrame({
        "customer_id": [1, 1, 2, 3, 3, 3, 4, 5],
        "order_date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-02-01", "2024-01-05", "2024-01-20",
                                      "2024-03-01", "2024-02-20", "2024-02-25"]),
        "amount": [10.0, 5.0, 50.0, 1.0, 1.0, 1.0, 20.0, 30.0],
    })
    s = rfm_scores(df, observation_end="2024-03-01")
    assert s["since_last"].tolist() == [60, 29, 0, 10, 5]
    assert s["purchase_days"].tolist() == [1, 1, 3, 1, 1]  # two orders on one day are one purchase day
    assert s["monetary"].tolist() == [15.0, 50.0, 3.0, 20.0, 30.0]
    assert s["R"].tolist() == [1, 2, 5, 3, 4]
    assert s["F"].tolist() == [1, 1, 5, 1, 1]
    assert s["M"].tolist() == [2, 5, 1, 3, 4]


def _first_match(r, f, m):
    for row in RFM_SEGMENT_RULES.itertuples():
        if row.r_min <= r <= row.r_max and row.f_min <= f <= row.f_max and row.m_min <= m <= row.m_max:
            return row.segment
    return None


def test_every_score_combination_maps_to_exactly_one_segment_by_first_match():
    combos = pd.DataFrame(list(itertools.product(range(1, 6), repeat=3)), columns=["R", "F", "M"])
    seg = rfm_segments(combos)
    assert len(seg) == 125 and seg["segment"].notna().all()
    expected = [_first_match(r, f, m) for r, f, m in combos.itertuples(index=False)]
    assert None not in expected
    assert seg["segment"].astype(str).tolist() == expected
    assert set(seg["segment"]) == set(RFM_SEGMENT_RULES["segment"])  # every segment reachable
    assert list(seg["segment"].cat.categories) == RFM_SEGMENT_RULES["segment"].tolist()


@pytest.mark.parametrize(
    ("rfm", "segment"),
    [
        ((5, 5, 5), "champions"),  # also matches 'loyal': the earlier rule wins
        ((5, 5, 1), "loyal"),
        ((3, 5, 1), "loyal"),
        ((4, 2, 5), "potential loyalist"),
        ((5, 1, 5), "new"),
        ((4, 1, 1), "promising"),
        ((3, 3, 3), "need attention"),
        ((3, 3, 2), "about to sleep"),
        ((3, 1, 5), "about to sleep"),
        ((1, 5, 5), "cannot lose"),
        ((2, 4, 4), "cannot lose"),
        ((1, 5, 3), "at risk"),
        ((2, 3, 5), "at risk"),
        ((2, 1, 1), "hibernating"),
        ((1, 2, 5), "lost"),
        ((1, 1, 1), "lost"),
    ],
)
def test_segment_precedence(rfm, segment):
    seg = rfm_segments(pd.DataFrame([rfm], columns=["R", "F", "M"]))
    assert seg["segment"].iloc[0] == segment


def test_rules_with_gaps_and_bad_scores_are_rejected():
    rules = RFM_SEGMENT_RULES[RFM_SEGMENT_RULES["segment"] != "lost"]
    with pytest.raises(InputError, match=r"leave 10 of the 125 score combinations without a segment \(RFM=111"):
        rfm_segments(pd.DataFrame({"R": [5], "F": [5], "M": [5]}), rules=rules)
    with pytest.raises(InputError, match="whole scores 1..5"):
        rfm_segments(pd.DataFrame({"R": [6], "F": [5], "M": [5]}))
    with pytest.raises(SchemaError, match="no column 'M'"):
        rfm_segments(pd.DataFrame({"R": [5], "F": [5]}))
    custom = pd.DataFrame({"segment": ["best", "rest"], "r_min": [5, 1], "r_max": [5, 5], "f_min": [5, 1],
                           "f_max": [5, 5], "m_min": [1, 1], "m_max": [5, 5]})
    seg = rfm_segments(pd.DataFrame({"R": [5, 5], "F": [5, 4], "M": [1, 1]}), rules=custom)
    assert seg["segment"].tolist() == ["best", "rest"]


def test_segment_summary_includes_empty_segments():
    scores = pd.DataFrame({"R": [5, 5, 1], "F": [5, 5, 1], "M": [5, 5, 1], "since_last": [1, 3, 90],
                           "purchase_days": [8, 6, 1], "monetary": [300.0, 100.0, 100.0]})
    summary = segment_summary(rfm_segments(scores))
    assert summary.index.tolist() == RFM_SEGMENT_RULES["segment"].tolist()
    assert summary.loc["champions", "customers"] == 2 and summary.loc["loyal", "customers"] == 0
    assert summary.loc["champions", "monetary_total"] == 400.0
    assert summary.loc["champions", "monetary_share"] == 0.8
    assert summary.loc["champions", "since_last"] == 2.0
    assert summary.loc["lost", "customer_share"] == pytest.approx(1 / 3)


def _quarters_log():
    return pd.DataFrame({
        "customer_id": [1, 1, 2, 3, 3],
        "order_date": pd.to_datetime(["2024-01-10", "2024-04-10", "2024-02-10", "2024-05-10", "2024-07-02"]),
        "amount": [10.0, 30.0, 20.0, 5.0, 1.0],
    })


def test_segment_migration_hand_computed():
    mig = segment_migration(_quarters_log())  # 2024Q3 is incomplete: snapshots at 03-31 and 06-30 only
    assert mig["from_period"].astype(str).unique().tolist() == ["2024Q1"]
    assert mig["to_period"].astype(str).unique().tolist() == ["2024Q2"]
    moved = mig[mig["customers"] > 0]
    got = {(a, b): (n, s) for a, b, n, s in moved[["from_segment", "to_segment", "customers", "share"]].itertuples(
        index=False)}
    # 03-31: customer 1 (R1 F1 M1) lost; customer 2 (R3 F1 M3) about to sleep.
    # 06-30: customer 1 (R2 F4 M4) cannot lose; 2 (R1 F1 M2) lost; 3 (R4 F1 M1) promising.
    assert got == {
        ("lost", "cannot lose"): (1, 1.0),
        ("about to sleep", "lost"): (1, 1.0),
        (NOT_YET_ACQUIRED, "promising"): (1, 1.0),
    }
    n_seg = len(RFM_SEGMENT_RULES)
    assert len(mig) == (n_seg + 1) * n_seg
    assert np.isnan(mig.loc[mig["from_segment"] == "champions", "share"]).all()  # empty state: NaN share
    counts = migration_matrix(mig, normalize=False)
    assert counts.loc["lost", "cannot lose"] == 1 and counts.to_numpy().sum() == 3
    shares = migration_matrix(mig, from_period="2024Q1")
    assert shares.loc[NOT_YET_ACQUIRED, "promising"] == 1.0
    assert shares.loc["champions"].isna().all()
    with pytest.raises(InputError, match="from_period"):
        migration_matrix(mig, from_period="2023Q1")


def test_segment_migration_by_channel_splits_the_same_moves():
    """Customers 1 and 3 came through ads, 2 organically (their first row says so; customer 3's
    later row says otherwise and is ignored, as in cohort_table).  Scores stay relative to the
    whole base, so the moves are the hand-computed ones above, split by channel."""
    log = _quarters_log().assign(channel=["ads", "ads", "organic", "ads", "organic"])
    mig = segment_migration(log, by="channel")
    assert list(mig.columns[:2]) == ["channel", "from_period"]
    moved = mig[mig["customers"] > 0]
    got = {(c, a, b): (n, s) for c, a, b, n, s in
           moved[["channel", "from_segment", "to_segment", "customers", "share"]].itertuples(index=False)}
    assert got == {
        ("ads", "lost", "cannot lose"): (1, 1.0),
        ("organic", "about to sleep", "lost"): (1, 1.0),
        ("ads", NOT_YET_ACQUIRED, "promising"): (1, 1.0),
    }
    assert mig.attrs["by"] == ["channel"]


def test_segment_migration_groups_add_up_to_the_whole():
    store = rk.load_sample("retention_first")
    tx = rk.transactions(store)  # carries each customer's acquisition channel
    whole = segment_migration(tx)
    split = segment_migration(tx, by="channel")
    keys = ["from_period", "from_segment", "to_segment"]
    summed = split.groupby(keys, observed=True)["customers"].sum()
    pd.testing.assert_series_equal(summed, whole.set_index(keys)["customers"], check_names=False)
    # within each channel the shares of every non-empty from-state add up to one
    totals = split.groupby(["channel", "from_period", "from_segment"], observed=True)["share"].sum(min_count=1)
    np.testing.assert_allclose(totals.dropna(), 1.0)
    assert totals.notna().sum() > 0


def test_segment_migration_needs_two_complete_periods():
    with pytest.raises(InputError, match="at least two complete Q periods"):
        segment_migration(_quarters_log(), observation_end="2024-06-29")


def test_migration_snapshots_agree_with_scoring_the_truncated_log():
    rng = np.random.default_rng(3)
    n = 400
    df = pd.DataFrame({
        "customer_id": rng.integers(0, 60, n),
        "order_date": pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D"),
        "amount": rng.integers(1, 100, n).astype(float),
    })
    mig = segment_migration(df, observation_end="2023-12-31")
    assert mig["from_period"].astype(str).unique().tolist() == ["2023Q1", "2023Q2", "2023Q3"]
    for q, start, end in [("2023Q1", "2023-03-31", "2023-06-30"), ("2023Q2", "2023-06-30", "2023-09-30")]:
        with pytest.warns(Warning):
            before = rfm_segments(rfm_scores(df, observation_end=start))["segment"]
            after = rfm_segments(rfm_scores(df, observation_end=end))["segment"]
        from_state = before.reindex(after.index).astype(object).fillna(NOT_YET_ACQUIRED)
        expected = pd.crosstab(from_state, after.astype(object)).stack()
        got = mig[(mig["from_period"].astype(str) == q) & (mig["customers"] > 0)]
        got = got.set_index(["from_segment", "to_segment"])["customers"]
        got.index = got.index.set_levels([lvl.astype(object) for lvl in got.index.levels])
        assert got.to_dict() == expected[expected > 0].to_dict()
