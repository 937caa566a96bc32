"""Coverage of the 95% intervals of every retailkit.clv model, by seeded simulation.

Usage::

    python benchmarks/coverage_study.py [--reps 100] [--n 2000] [--seed 2024]

For each model, ``reps`` data sets are simulated from known parameters (customers acquired over 13
weeks and observed to week 52 for BG/NBD and Pareto/NBD; spend for the BG/NBD repeat buyers for
Gamma-Gamma; cohorts observed for 3 to 12 periods for sBG), the model is fitted and the truth is
checked against its 95% intervals, both the default log-scale intervals and the symmetric Wald
intervals.  With 100 replications a true coverage of 95% shows up between about 90% and 99%
(binomial 95% range).  The table also compares the mean reported standard error with the standard
deviation of the estimates across replications (ratio near 1 = honest standard errors).
Slow by design (a few minutes); not part of the test suite.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd
from scipy import stats


def cohort_T(rng, n):
    return rng.integers(39 * 7, 52 * 7 + 1, n) / 7


def run(reps: int, n: int, seed: int) -> pd.DataFrame:
    import retailkit.clv as clv

    truths = {
        "BG/NBD": {"r": 0.5, "alpha": 6.0, "a": 0.7, "b": 2.5},
        "Pareto/NBD": {"r": 0.6, "alpha": 8.0, "s": 0.8, "beta": 12.0},
        "Gamma-Gamma": {"p": 6.0, "q": 4.0, "v": 15.0},
        "sBG": {"alpha": 0.7, "beta": 1.2},
    }
    records = []
    root = np.random.default_rng(seed)
    for rep in range(reps):
        rng = np.random.default_rng(root.integers(2**63))
        fits = {}
        bg_data = clv.simulate_bgnbd(n, truths["BG/NBD"], cohort_T(rng, n), seed=rng)
        fits["BG/NBD"] = lambda d=bg_data: clv.BetaGeo.fit(d)
        pn_data = clv.simulate_paretonbd(n, truths["Pareto/NBD"], cohort_T(rng, n), seed=rng)
        fits["Pareto/NBD"] = lambda d=pn_data: clv.ParetoNBD.fit(d)
        spend = clv.simulate_gammagamma(bg_data["frequency"], truths["Gamma-Gamma"], seed=rng)
        gg_data = pd.concat([bg_data["frequency"], spend["monetary_value"]], axis=1)
        fits["Gamma-Gamma"] = lambda d=gg_data: clv.GammaGamma.fit(d)
        sbg_data = clv.simulate_sbg(n // 2, truths["sBG"], rng.integers(3, 13, n // 2), seed=rng)
        fits["sBG"] = lambda d=sbg_data: clv.ShiftedBetaGeometric.fit(d)
        for model, fit in fits.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = fit()
            truth = pd.Series(truths[model])
            log_ci, wald_ci = res.conf_int(method="log"), res.conf_int(method="wald")
            for name in truth.index:
                records.append({
                    "model": model, "param": name, "rep": rep, "truth": truth[name],
                    "estimate": res.params[name], "bse": res.bse[name], "converged": res.converged,
                    "covered_log": log_ci.loc[name, "lower"] <= truth[name] <= log_ci.loc[name, "upper"],
                    "covered_wald": wald_ci.loc[name, "lower"] <= truth[name] <= wald_ci.loc[name, "upper"],
                })
    return pd.DataFrame(records)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=100)
    parser.add_argument("--n", type=int, default=2000, help="customers per data set (sBG: n/2)")
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    df = run(args.reps, args.n, args.seed)
    order = {m: i for i, m in enumerate(df["model"].unique())}
    table = (df.groupby(["model", "param"], sort=False)
             .agg(truth=("truth", "first"), mean_estimate=("estimate", "mean"), sd_estimate=("estimate", "std"),
                  mean_bse=("bse", "mean"), coverage_log=("covered_log", "mean"),
                  coverage_wald=("covered_wald", "mean"), converged=("converged", "mean"))
             .reset_index())
    table["bse/sd"] = table["mean_bse"] / table["sd_estimate"]
    table = table.sort_values("model", key=lambda s: s.map(order), kind="stable")
    lo, hi = stats.binom.ppf([0.025, 0.975], args.reps, 0.95) / args.reps
    print(f"{args.reps} replications per model, {args.n} customers (sBG {args.n // 2}), seed {args.seed}, "
          f"{time.perf_counter() - t0:.0f} s")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    overall_log, overall_wald = df["covered_log"].mean(), df["covered_wald"].mean()
    print(f"\noverall coverage of nominal 95% intervals: log-scale {overall_log:.3f}, Wald {overall_wald:.3f} "
          f"over {len(df)} parameter intervals; binomial 95% range for one parameter at {args.reps} "
          f"replications: [{lo:.2f}, {hi:.2f}]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
