"""Speed of the customer summaries on a large synthetic transaction log, against lifetimes.

Builds a synthetic log (default 10M transactions of 1M customers over three years, in time order
like a real order log), times :func:`retailkit.rfm_summary` and :func:`retailkit.cohort_table`
(best of ``--repeat``), runs ``lifetimes.utils.summary_data_from_transaction_data`` on the same
rows in the same run and checks that the numbers agree, and checks the cohort table against a
plain pandas groupby.  With ``--cdnow DIR`` it also reproduces the published CDNOW summary
(Fader, Hardie & Lee 2005) from ``CDNOW_sample.txt``.

Usage::

    python benchmarks/bench_summaries.py [--quick] [--rows 10000000] [--customers 1000000]
        [--lifetimes-rows N] [--cdnow ../shared/reference/cdnow]

The Markdown result goes to stdout (``run_all.py`` collects it); progress goes to stderr.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import warnings
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pandas as pd

import retailkit.prep as prep
from retailkit.metrics.cohorts import cohort_table

OBSERVATION_END = pd.Timestamp("2024-12-31")
DEFAULT_CDNOW = Path(__file__).resolve().parents[2] / "shared" / "reference" / "cdnow"
START = pd.Timestamp("2022-01-01")


def synthetic_log(n_rows: int, n_customers: int, seed: int = 0) -> pd.DataFrame:
    """A transaction log with customer_id, order_date (naive, day resolution) and amount, in time order.

    Customers arrive uniformly over 3 years; each has a first purchase and Poisson-many later
    purchases spread uniformly over the rest of the window (heavy-tailed rates); a few later rows
    fall after OBSERVATION_END on purpose, so the left-out count is exercised."""
    rng = np.random.default_rng(seed)
    span = (OBSERVATION_END - START).days + 8
    first = rng.integers(0, span - 8, n_customers)
    rate = rng.gamma(0.6, 1.0, n_customers)
    extra = rng.poisson(rate * (n_rows - n_customers) / rate.sum())
    n_extra = int(extra.sum())
    who = np.repeat(np.arange(n_customers), extra)
    later = first[who] + np.floor(rng.random(n_extra) * (span - first[who])).astype(np.int64)
    customer = np.concatenate([np.arange(n_customers), who])
    day = np.concatenate([first, later])
    order = np.argsort(day, kind="stable")
    ids = 100_000 + customer[order] * 3  # not 0..n-1: ids as a real system would hand them out
    dates = (np.datetime64(START.date(), "D") + day[order]).astype("datetime64[us]")
    amount = np.round(rng.gamma(2.0, 25.0, len(order)), 2)
    return pd.DataFrame({"customer_id": ids, "order_date": dates, "amount": amount})


def best_of(fn, repeat: int):
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def quiet(fn):
    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", prep.RowsLeftOutWarning)
            return fn()
    return run


def cohorts_by_pandas(log: pd.DataFrame) -> pd.Series:
    """Monthly active customers per cohort and month number, the plain pandas way (a reference)."""
    log = log[log["order_date"] <= OBSERVATION_END]
    month = log["order_date"].dt.year * 12 + log["order_date"].dt.month - 1
    cohort = month.groupby(log["customer_id"]).transform("min")
    frame = pd.DataFrame({"c": cohort, "k": month - cohort, "id": log["customer_id"]})
    return frame.drop_duplicates().groupby(["c", "k"]).size()


def check_cdnow(folder: str) -> tuple[str, bool]:
    raw = pd.read_csv(
        os.path.join(folder, "CDNOW_sample.txt"), sep=r"\s+", header=None,
        names=["master_id", "sample_id", "date", "cds", "dollars"],
    )
    raw["date"] = pd.to_datetime(raw["date"].astype(str), format="%Y%m%d")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", prep.RowsLeftOutWarning)
        ours = prep.rfm_summary(raw, customer_col="sample_id", datetime_col="date", monetary_col="dollars",
                                observation_end="1997-09-30")
    pub = pd.read_csv(os.path.join(folder, "cdnow_customers_summary_with_transactions.csv")).set_index("ID")
    ours = ours.reindex(pub.index)

    def half_up(x):  # the published file rounds exact decimals half up (22.345 -> 22.35)
        return float(Decimal(repr(round(float(x), 9))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))

    same = {
        "x": (ours["frequency"] == pub["x"]).all(),
        **{p: np.allclose([half_up(v) for v in ours[c]], pub[p], rtol=0, atol=1e-9)
           for c, p in [("recency", "t_x"), ("T", "T"), ("monetary_value", "zbar")]},
    }
    ok = all(same.values())
    status = "**all equal**" if ok else f"**MISMATCH** {same}"
    return (f"CDNOW sample (Fader, Hardie & Lee 2005): `rk.rfm_summary` of `CDNOW_sample.txt` to 1997-09-30 "
            f"against the published summary of {len(pub):,} customers (x, t_x, T, zbar at two decimals, "
            f"rounded half up as published): {status}", ok)


def _progress(msg: str) -> None:
    print(f"[bench_summaries] {msg}", file=sys.stderr, flush=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--quick", action="store_true", help="1M rows of 100k customers")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--lifetimes-rows", type=int, default=None, help="rows given to lifetimes (default: all)")
    ap.add_argument("--cdnow", default=str(DEFAULT_CDNOW),
                    help="folder with CDNOW_sample.txt and the published summary (skipped if absent)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    if args.quick:
        args.rows, args.customers = 1_000_000, 100_000

    t0 = time.perf_counter()
    log = synthetic_log(args.rows, args.customers, args.seed)
    rows = [("build the synthetic log", len(log), time.perf_counter() - t0, None)]
    _progress(f"built {len(log):,} transactions in {rows[0][2]:.1f} s; timing rk (best of {args.repeat})")

    t_rfm, ours = best_of(quiet(lambda: prep.rfm_summary(log, observation_end=OBSERVATION_END)), args.repeat)
    rows.append(("`rk.rfm_summary`", len(log), t_rfm, None))
    t_coh, table = best_of(quiet(lambda: cohort_table(log, period="M", observation_end=OBSERVATION_END)), args.repeat)
    rows.append(('`rk.cohort_table(period="M")` (retention)', len(log), t_coh, None))
    t_cw, _ = best_of(quiet(lambda: cohort_table(log, period="W", metric="revenue",
                                                 observation_end=OBSERVATION_END)), args.repeat)
    rows.append(('`rk.cohort_table(period="W", metric="revenue")`', len(log), t_cw, None))

    _progress("plain pandas cohort counts (reference)")
    t_pd, ref = best_of(lambda: cohorts_by_pandas(log), 1)
    active = quiet(lambda: cohort_table(log, period="M", metric="active", observation_end=OBSERVATION_END))()
    active = active.dropna(subset=["value"])
    mine = active[active["value"] > 0].set_index(["cohort", "period_number"])["value"]
    ref = ref.reindex(pd.MultiIndex.from_arrays(
        [mine.index.get_level_values(0).year * 12 + mine.index.get_level_values(0).month - 1,
         mine.index.get_level_values(1)]))
    cohorts_ok = np.array_equal(ref.to_numpy(), mine.to_numpy())
    rows.append(("plain pandas groupby, monthly active per cohort", len(log), t_pd, t_pd / t_coh))

    sub = log if args.lifetimes_rows is None else log.iloc[: args.lifetimes_rows]
    _progress(f"lifetimes on {len(sub):,} rows (once)")
    from lifetimes.utils import summary_data_from_transaction_data

    t_lt, theirs = best_of(lambda: summary_data_from_transaction_data(
        sub, "customer_id", "order_date", monetary_value_col="amount",
        observation_period_end=OBSERVATION_END, freq="D", freq_multiplier=7), 1)
    if sub is log:
        t_same = t_rfm
    else:
        t_same, ours = best_of(quiet(lambda: prep.rfm_summary(sub, observation_end=OBSERVATION_END)), args.repeat)
    rows.append(("`lifetimes.utils.summary_data_from_transaction_data`", len(sub), t_lt, t_lt / t_same))
    theirs = theirs.sort_index()
    cols = ("frequency", "recency", "T", "monetary_value")
    same_customers = theirs.index.equals(ours.index)
    agree = (same_customers
             and np.array_equal(theirs["frequency"].to_numpy(), ours["frequency"].to_numpy())
             and all(np.allclose(theirs[c], ours[c], rtol=1e-12, atol=1e-9) for c in cols[1:]))
    max_diff = (max(float(np.max(np.abs(theirs[c].to_numpy() - ours[c].to_numpy()))) for c in cols)
                if same_customers else np.nan)

    print(f"Synthetic log: {len(log):,} transactions of {args.customers:,} customers over three years, in time "
          f"order (not sorted by customer), integer customer ids; observation_end {OBSERVATION_END.date()} "
          f"leaves out {ours.attrs['rows_left_out']['after observation_end']:,} later rows. "
          f"Best of {args.repeat} for rk, one run for the others.")
    print()
    print("| step | rows | seconds | M rows/s | x slower than rk |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, n, t, ratio in rows:
        print(f"| {name} | {n:,} | {t:.2f} | {n / t / 1e6:.1f} | {'' if ratio is None else f'{ratio:.1f}'} |")
    print()
    print(f"- lifetimes (`freq='D', freq_multiplier=7`) agrees with `rk.rfm_summary` on {len(sub):,} rows "
          f"({len(ours):,} customers): **{agree}** (largest absolute difference {max_diff:.1e}).")
    print(f"- `rk.cohort_table` active counts equal the plain pandas groupby: **{cohorts_ok}** "
          f"({len(table):,} cells).")
    print(f"- Peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB; load average at the end "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores (other work slows every row).")
    cdnow_ok = True
    if args.cdnow and os.path.exists(os.path.join(args.cdnow, "CDNOW_sample.txt")):
        text, cdnow_ok = check_cdnow(args.cdnow)
        print(f"- {text}")
    else:
        print(f"- CDNOW check skipped: no CDNOW_sample.txt in {args.cdnow!r} (pass --cdnow DIR).")
    return 0 if agree and cohorts_ok and cdnow_ok else 1


if __name__ == "__main__":
    sys.exit(main())
