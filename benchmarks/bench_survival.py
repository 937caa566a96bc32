"""Speed of the survival tools (retailkit.survival) on a million simulated customers.

Simulates ``--customers`` customers (default 1M) with three covariates (two normal, one binary), a
5-level group and Weibull proportional-hazards durations with known log hazard ratios, censored
uniformly; durations in whole days (as time-to-second-purchase data are) and, for a second run,
continuous (no ties, one distinct time per customer: the hard case for per-time loops).  Then times

* ``kaplan_meier`` by the 5-level group (statsmodels ``SurvfuncRight`` per group) and
  ``logrank_test`` across the groups (statsmodels ``survdiff``);
* ``cox_ph`` with the 3 covariates: the default engine (at this size the vectorised numpy engine)
  and, once, statsmodels' ``PHReg`` itself, to show why the default switches;
* per-customer survival curves (``survival_function``, every customer at 10 times).

Steps that take under a second are timed best of ``--repeat`` (default 3); slower ones once.  Each
step also checks its answer (true coefficients inside the 99.9% intervals; true survival inside the
Kaplan-Meier bands; numpy engine equal to PHReg on a ``--check-size`` subsample), so a fast wrong
answer fails.  PASS = answer right and wall time within ``--limit`` seconds ("within a few
seconds"); PHReg rows are a reference, not a target.

Usage::

    python benchmarks/bench_survival.py [--quick] [--customers 1000000] [--limit 5] [--repeat 3]
        [--check-size 20000] [--seed 0]

The Markdown result goes to stdout (``run_all.py`` collects it); progress goes to stderr.  Exits 1
if any targeted step fails.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import warnings

import numpy as np
import pandas as pd

import retailkit.survival as sv

BETA = {"x1": 0.5, "x2": -0.3, "x3": 0.2}
SHAPE, SCALE, CENSOR = 1.3, 200.0, 400.0
GROUP_SHIFT = np.array([-0.4, -0.2, 0.0, 0.2, 0.4])  # mean of x1 in each of the 5 groups


def log(msg: str) -> None:
    print(f"[bench_survival] {msg}", file=sys.stderr, flush=True)


def simulate(n: int, seed: int) -> pd.DataFrame:
    """Weibull PH: S(t | x) = exp(-(t / SCALE)^SHAPE exp(x'beta)), uniform censoring.  The groups differ
    through x1 (mean GROUP_SHIFT[g]), so their survival differs while the 3-covariate Cox model stays
    correctly specified."""
    rng = np.random.default_rng(seed)
    g = rng.integers(0, 5, n)
    x1, x2, x3 = rng.normal(size=n) + GROUP_SHIFT[g], rng.integers(0, 2, n).astype(float), rng.normal(size=n)
    eta = BETA["x1"] * x1 + BETA["x2"] * x2 + BETA["x3"] * x3
    t = SCALE * (rng.exponential(size=n) / np.exp(eta)) ** (1 / SHAPE)
    c = rng.uniform(0, CENSOR, n)
    return pd.DataFrame({
        "x1": x1, "x2": x2, "x3": x3, "group": np.array(list("abcde"))[g], "g": g,
        "duration": np.minimum(t, c), "event": t <= c,
    })


def true_km(df: pd.DataFrame, times: np.ndarray) -> np.ndarray:
    """Marginal survival of each group: the mean of S(t | x, g) over the group's customers (Monte Carlo
    over a 200k subsample; its error, < 0.002, is far inside the bands checked)."""
    sub = df.iloc[: min(len(df), 200_000)]
    eta = sum(BETA[k] * sub[k].to_numpy() for k in BETA)
    out = []
    for g in range(5):
        m = sub["g"].to_numpy() == g
        risk = np.exp(eta[m])
        out.append(np.exp(-np.outer(risk, (times / SCALE) ** SHAPE)).mean(axis=0))
    return np.array(out)


def timed(fn, repeat: int):
    """Best wall time of ``repeat`` runs (one run if the first takes more than a second), with its CPU time."""
    best = None
    for i in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        if best is None or wall < best[0]:
            best = (wall, cpu)
        if i == 0 and wall > 1.0:
            break
    return out, best[0], best[1]


def covers(res) -> bool:
    """True log hazard ratios inside the 99.9% intervals: a benchmark run is one draw, and with three
    95% intervals a correct estimator would fail one seed in seven; at 99.9% one in 300."""
    ci = res.conf_int(alpha=0.001)
    truth = pd.Series(BETA)
    return bool(((ci.loc[truth.index, "lower"] <= truth) & (truth <= ci.loc[truth.index, "upper"])).all())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--limit", type=float, default=5.0, help="seconds allowed per step (default 5)")
    ap.add_argument("--repeat", type=int, default=3, help="best of this many runs for sub-second steps")
    ap.add_argument("--check-size", type=int, default=20_000, help="rows for the numpy-vs-PHReg check")
    ap.add_argument("--quick", action="store_true", help="100k customers, PHReg reference on 20k")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    if args.quick:
        args.customers, args.check_size = 100_000, 5_000
    warnings.simplefilter("ignore")
    rows = []

    def step(name, data, fn, check, *, target=True, repeat=args.repeat):
        log(f"{name} ({data}) ...")
        out, wall, cpu = timed(fn, repeat)
        ok = bool(check(out))
        rows.append((name, data, wall, cpu, ok, target))
        log(f"{name}: {wall:.2f} s wall, {cpu:.2f} s CPU, answer {'ok' if ok else 'WRONG'}")
        return out

    n = args.customers
    log(f"simulating {n:,} customers")
    w0 = time.perf_counter()
    cont = simulate(n, args.seed)
    days = cont.assign(duration=np.ceil(cont["duration"]))  # whole days (1..400): ties, like real data
    t_sim = time.perf_counter() - w0
    size = f"{n:,} customers"
    formula = "x1 + x2 + x3"
    times = np.array([50.0, 150.0, 300.0])
    truth_km = true_km(cont, times)

    def km_check(km):
        at = sv.survival_at(km, times)
        lo = at["ci_lower"].to_numpy().reshape(5, -1)
        hi = at["ci_upper"].to_numpy().reshape(5, -1)
        return bool(np.all(lo <= truth_km + 0.002) and np.all(truth_km - 0.002 <= hi))

    def km_check_days(km):  # whole-day durations: event at day ceil(t), so S_days(t) = S(floor(t)) at integers
        at = sv.survival_at(km, times)
        s = at["survival"].to_numpy().reshape(5, -1)
        return bool(np.all(np.abs(s - truth_km) < 0.01))

    step("kaplan_meier by 5-level group", f"{size}, whole days",
         lambda: sv.kaplan_meier(days, by="group"), km_check_days)
    km = step("kaplan_meier by 5-level group", f"{size}, continuous",
              lambda: sv.kaplan_meier(cont, by="group"), km_check)
    log(f"  {len(km):,} rows in the continuous-time table")
    step("logrank_test, 5 groups", f"{size}, whole days",
         lambda: sv.logrank_test(days, group_col="group"), lambda r: r.p_value < 1e-10 and r.df == 4)
    step("logrank_test, 5 groups", f"{size}, continuous",
         lambda: sv.logrank_test(cont, group_col="group"), lambda r: r.p_value < 1e-10 and r.df == 4)
    # Breslow's tie handling attenuates the coefficients slightly on whole-day data (ties): the truth is
    # checked on the continuous run; the whole-day run must agree with it to 2%
    res_c = step("cox_ph, 3 covariates (default engine)", f"{size}, continuous",
                 lambda: sv.cox_ph(cont, formula), covers)
    step("cox_ph, 3 covariates (default engine)", f"{size}, whole days",
         lambda: sv.cox_ph(days, formula),
         lambda r: np.allclose(r.params, res_c.params, rtol=0.02) and r.engine == "numpy")
    profiles = cont[["x1", "x2", "x3"]]
    grid = np.linspace(20, 380, 10)

    def curves_check(s):
        eta = sum(BETA[k] * profiles[k].to_numpy()[:1000] for k in BETA)
        true = np.exp(-np.outer(np.exp(eta), (grid / SCALE) ** SHAPE))
        return s.shape == (n, 10) and float(np.max(np.abs(s.to_numpy()[:1000] - true))) < 0.03

    step("survival_function, every customer x 10 times", f"{size}, continuous",
         lambda: res_c.survival_function(profiles, grid), curves_check)
    step("median_survival, every customer", f"{size}, continuous",
         lambda: res_c.median_survival(profiles), lambda m: m.notna().mean() > 0.5)

    # statsmodels PHReg itself: the reference that the vectorised engine replaces at this size
    ref_n = n if not args.quick else 20_000
    step("PHReg (statsmodels) reference", f"{ref_n:,} customers, whole days",
         lambda: sv.cox_ph(days.iloc[:ref_n], formula, engine="statsmodels"), covers if ref_n == n else
         (lambda r: r.converged), target=False, repeat=1)
    ref_c = min(ref_n, 100_000)
    step("PHReg (statsmodels) reference", f"{ref_c:,} customers, continuous",
         lambda: sv.cox_ph(cont.iloc[:ref_c], formula, engine="statsmodels"), lambda r: r.converged,
         target=False, repeat=1)

    # agreement of the two engines on a subsample (both data kinds)
    agree = []
    for kind, data in (("whole days", days), ("continuous", cont)):
        sub = data.iloc[: args.check_size]
        a = sv.cox_ph(sub, formula, engine="statsmodels")
        b = sv.cox_ph(sub, formula, engine="numpy")
        agree.append((kind, float(np.max(np.abs(a.params - b.params))),
                      float(np.max(np.abs(b.bse / a.bse - 1))), abs(a.llf - b.llf)))
    engines_ok = all(dp < 1e-6 and dse < 1e-6 and dll < 1e-6 * args.check_size for _, dp, dse, dll in agree)

    limit = args.limit
    print("## Survival: Kaplan-Meier, log-rank and Cox on a million customers")
    print()
    print(f"Simulated Weibull proportional-hazards customers (seed {args.seed}; {n:,} customers, 3 covariates, "
          f"a 5-level group, uniform censoring; simulated in {t_sim:.1f} s). Sub-second steps best of "
          f"{args.repeat}, others once. PASS = answer checked against the simulation's truth and wall time "
          f"within {limit:g} s.")
    print()
    print("| step | data | wall s | CPU s | answer | verdict |")
    print("| --- | --- | ---: | ---: | --- | --- |")
    failed = 0
    for name, data, wall, cpu, ok, target in rows:
        if target:
            verdict = "PASS" if ok and wall <= limit else "FAIL"
            failed += verdict == "FAIL"
        else:
            verdict = f"reference ({'within' if wall <= limit else 'over'} {limit:g} s)"
        print(f"| {name} | {data} | {wall:.2f} | {cpu:.2f} | {'ok' if ok else 'wrong'} | {verdict} |")
    print()
    diffs = "; ".join(f"{k}: max |d beta| {dp:.1e}, max relative d se {dse:.1e}, d llf {dll:.1e}"
                      for k, dp, dse, dll in agree)
    print(f"Engines agree (Cox, {args.check_size:,}-customer subsample, numpy engine vs statsmodels PHReg, "
          f"Breslow ties): {diffs} -> **{'equal' if engines_ok else 'DIFFER'}**")
    print()
    print("- Answer checks: Kaplan-Meier bands cover the true marginal survival of every group at t = 50, 150, 300 "
          "(continuous; whole days within 0.01); the log-rank test finds the group effect; the true log hazard "
          "ratios lie inside the Cox 99.9% intervals (95% would fail a correct estimator one seed in seven); "
          "per-customer curves within 0.03 of the true S(t | x).")
    print("- `cox_ph(engine='auto')` uses statsmodels' PHReg up to 50,000 rows and 5,000 distinct event times, "
          "the vectorised engine above. PHReg's set-up loops over rows in Python (one `searchsorted` per row) "
          "and its likelihood, score and Hessian loop over distinct event times, so it grows with both.")
    print(f"- Peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB.")
    print()
    return 1 if failed or not engines_ok else 0


if __name__ == "__main__":
    sys.exit(main())
