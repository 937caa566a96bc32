"""Speed of retailkit.clv on a million customers, and agreement with lifetimes.

Usage::

    python benchmarks/bench_clv.py [--quick] [--n 1000000] [--repeat 3] [--seed 1] [--skip-lifetimes]

Prints its result as Markdown on stdout (progress on stderr), as ``benchmarks/run_all.py`` expects.

Data: ``n`` customers simulated from a BG/NBD with the CDNOW estimates (r=0.243, alpha=4.414,
a=0.793, b=2.426), acquired uniformly over 12 weeks and observed to week 39, so T varies across
customers as in a real cohort.  Recency is floored to whole days, as a day-stamped transaction log
gives it (a repeat buyer whose last repeat falls on the first day gets one day), so the summary has
the realistic number of distinct (frequency, recency, T) patterns.

Measured (wall clock and CPU time, best of ``--repeat`` runs after one warm-up; on a shared
machine the CPU time is the steadier figure):

* ``BetaGeo.fit`` on the summary frame (validation, pattern compression, optimisation, Hessian);
* ``expected_purchases(52, data)`` plus ``prob_alive(data)`` for every customer;
* lifetimes' ``BetaGeoFitter.fit`` on the same rows (one run: it is slow), its predictions, and the
  same fit with lifetimes' own ``weights`` on the distinct patterns;
* ``ParetoNBD.fit`` on the same customers (one run), and lifetimes' ``ParetoNBDFitter`` with
  ``weights`` on the distinct patterns.

Agreement: both packages' maximised log-likelihoods (relative difference, target <= 1e-6) and the
largest difference of the predictions at lifetimes' estimates.  lifetimes 0.11.3 fits fine on
pandas 3 when given numpy arrays (used here); its ``calibration_and_holdout_data`` helper fails on
pandas 3 ("No objects to concatenate"), which this benchmark does not need.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings

import numpy as np
import pandas as pd

CDNOW = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


def simulate(n: int, seed: int) -> pd.DataFrame:
    import retailkit.clv as clv

    rng = np.random.default_rng(seed)
    T_days = rng.integers(27 * 7, 39 * 7 + 1, n)  # first purchase in weeks 1..12, observed to week 39
    data = clv.simulate_bgnbd(n, CDNOW, T_days / 7, seed=rng)
    days = np.floor(data["recency"].to_numpy() * 7)
    days = np.where(data["frequency"].to_numpy() > 0, np.maximum(days, 1), 0)
    return pd.DataFrame({"frequency": data["frequency"].to_numpy(), "recency": days / 7, "T": T_days / 7})


def best_time(fn, repeat: int):
    """Best wall-clock time over ``repeat`` runs after a warm-up, and the CPU time of that run."""
    fn()  # warm-up (imports, caches)
    best, out = (np.inf, np.inf), None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        best = min(best, (time.perf_counter() - t0, time.process_time() - c0))
    return best, out


def timed(fn):
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return (time.perf_counter() - t0, time.process_time() - c0), out


def log(msg: str) -> None:
    print(f"[bench_clv] {msg}", file=sys.stderr, flush=True)


def md_table(header, rows) -> list[str]:
    rule = " | ".join("---:" if i else "---" for i in range(len(header)))
    out = ["| " + " | ".join(header) + " |", "| " + rule + " |"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return out


def _ok(flag: bool) -> str:
    return "PASS" if flag else "FAIL"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=None, help="customers (default 1,000,000; 100,000 with --quick)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="100,000 customers")
    parser.add_argument("--skip-lifetimes", action="store_true")
    args = parser.parse_args(argv)
    n = args.n or (100_000 if args.quick else 1_000_000)

    import retailkit.clv as clv
    from retailkit.clv._data import compress

    log(f"simulating {n:,} BG/NBD customers")
    data = simulate(n, args.seed)
    n_patterns = compress([data[c].to_numpy() for c in ("frequency", "recency", "T")]).n
    log(f"fitting retailkit BetaGeo ({args.repeat} runs after a warm-up)")
    t_fit, res = best_time(lambda: clv.BetaGeo.fit(data), args.repeat)

    def predict():
        return res.expected_purchases(52.0, data), res.prob_alive(data)

    t_pred, _ = best_time(predict, args.repeat)
    log("fitting retailkit ParetoNBD (one run)")
    t_pn, pn = timed(lambda: clv.ParetoNBD.fit(data))
    rows = [("retailkit `BetaGeo.fit`", t_fit, f"{res.llf:,.4f}"),
            ("retailkit `expected_purchases(52)` + `prob_alive`", t_pred, ""),
            ("retailkit `ParetoNBD.fit` (one run)", t_pn, f"{pn.llf:,.4f}")]
    lines = [f"## BG/NBD and Pareto/NBD on {n:,} customers (`bench_clv.py`)", "",
             f"Simulated from a BG/NBD with the CDNOW estimates {CDNOW}, customers acquired over 12 weeks and "
             f"observed to week 39, recency in whole days: {n_patterns:,} distinct (frequency, recency, T) patterns, "
             f"{int((data['frequency'] > 0).sum()):,} repeat buyers. Times are the best of {args.repeat} runs after a "
             "warm-up (lifetimes: one run); CPU s well below wall s means other work competed for the cores.", ""]

    if not args.skip_lifetimes:
        from lifetimes import BetaGeoFitter

        f, r, T = (data[c].to_numpy() for c in ("frequency", "recency", "T"))
        lt = BetaGeoFitter()
        log("fitting lifetimes BetaGeoFitter on every row (slow)")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t_lt, _ = timed(lambda: lt.fit(f, r, T))
        lt_params = lt.params_[["r", "alpha", "a", "b"]].to_numpy()
        ones = np.ones_like(f, dtype=float)
        llf_lt = -BetaGeoFitter._negative_log_likelihood(np.log(lt_params), f, r, T, ones, 0.0) * len(f)
        t_lt_pred, (e_lt, p_lt) = timed(lambda: (
            lt.conditional_expected_number_of_purchases_up_to_time(52.0, f, r, T),
            lt.conditional_probability_alive(f, r, T)))
        log("fitting lifetimes BetaGeoFitter with weights on the distinct patterns")
        grouped = data.value_counts().rename("n").reset_index()
        gf, gr, gT, gn = (grouped[c].to_numpy() for c in ("frequency", "recency", "T", "n"))
        lw = BetaGeoFitter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t_lw, _ = timed(lambda: lw.fit(gf, gr, gT, weights=gn))
        lw_params = lw.params_[["r", "alpha", "a", "b"]].to_numpy()
        llf_lw = -BetaGeoFitter._negative_log_likelihood(np.log(lw_params), gf, gr, gT, gn.astype(float), 0.0) * len(f)
        from lifetimes import ParetoNBDFitter

        log("fitting lifetimes ParetoNBDFitter with weights on the distinct patterns")
        lp = ParetoNBDFitter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t_lp, _ = timed(lambda: lp.fit(gf, gr, gT, weights=gn))
        lp_params = lp.params_[["r", "alpha", "s", "beta"]].to_numpy()
        llf_lp = float(clv.ParetoNBD.loglikeobs(lp_params, data).sum())  # lifetimes' estimates, our formula
        rows += [("lifetimes `BetaGeoFitter.fit`, every row", t_lt, f"{llf_lt:,.4f}"),
                 ("lifetimes predictions, every row", t_lt_pred, ""),
                 ("lifetimes `BetaGeoFitter.fit`, `weights` on the patterns", t_lw, f"{llf_lw:,.4f}"),
                 ("lifetimes `ParetoNBDFitter.fit`, `weights` on the patterns", t_lp, f"{llf_lp:,.4f}")]
        at_lt = clv.BetaGeoResults.from_params(lt_params)
        same_formula = abs(clv.BetaGeo.loglikeobs(lt_params, data).sum() - llf_lt) / abs(llf_lt)
        d_e = np.max(np.abs(at_lt.expected_purchases(52.0, data).to_numpy() - np.asarray(e_lt)))
        d_p = np.max(np.abs(at_lt.prob_alive(data).to_numpy() - np.asarray(p_lt)))
        rel = abs(res.llf - llf_lt) / abs(llf_lt)

    lines += md_table(["step", "wall s", "CPU s", "log-likelihood"],
                      [(name, f"{t[0]:.3f}", f"{t[1]:.3f}", ll) for name, t, ll in rows])
    lines += ["", "### Targets", ""]
    targets = [(f"`BetaGeo.fit` on {n:,} customers <= 1 s", f"{t_fit[0]:.3f} s", _ok(t_fit[0] <= 1)),
               (f"predictions for {n:,} customers <= 1 s", f"{t_pred[0]:.3f} s", _ok(t_pred[0] <= 1))]
    if not args.skip_lifetimes:
        ratio = t_lt[0] / t_fit[0]
        targets += [("log-likelihood equal to lifetimes' (relative <= 1e-6)", f"{rel:.1e}", _ok(rel <= 1e-6)),
                    ("fit >= 20x faster than lifetimes at 1M customers (wall; CPU)",
                     f"{ratio:,.0f}x; {t_lt[1] / t_fit[1]:,.0f}x",
                     _ok(ratio >= 20) if n >= 1_000_000 else "n/a (fewer customers)")]
    lines += md_table(["target", "measured", "result"], targets)
    lines += ["", f"retailkit estimates: {', '.join(f'{k}={v:.4f}' for k, v in res.params.items())} "
              f"(converged: {res.converged}).",
              f"retailkit Pareto/NBD estimates on the same customers: "
              f"{', '.join(f'{k}={v:.4f}' for k, v in pn.params.items())} (converged: {pn.converged})."]
    if not args.skip_lifetimes:
        lines += [
            "lifetimes estimates: "
            + ", ".join(f"{k}={v:.4f}" for k, v in zip(res.params.index, lt_params, strict=True)) + ".",
            f"Same likelihood: retailkit's log-likelihood at lifetimes' estimates differs from lifetimes' own by "
            f"{same_formula:.1e} (relative); predictions at lifetimes' estimates differ by at most {d_e:.1e} "
            f"(expected purchases) and {d_p:.1e} (P(alive)).",
            f"Speed-ups: fit {t_lt[0] / t_fit[0]:,.0f}x (wall) over lifetimes on every row, "
            f"{t_lw[0] / t_fit[0]:,.1f}x over lifetimes given the same pattern weights; predictions "
            f"{t_lt_pred[0] / t_pred[0]:,.1f}x.",
            "Pareto/NBD: lifetimes' estimates "
            + ", ".join(f"{k}={v:.4f}" for k, v in zip(pn.params.index, lp_params, strict=True))
            + f"; retailkit's maximum is {pn.llf - llf_lp:+.1e} above the log-likelihood at them; retailkit is "
            f"{t_lp[0] / t_pn[0]:,.1f}x faster than lifetimes given the pattern weights (lifetimes on every row "
            "evaluates its hypergeometric terms once per customer and is not timed).",
            "lifetimes 0.11.3 is given numpy arrays; on pandas 3 its fitters work that way, while its "
            "`calibration_and_holdout_data` helper fails (`ValueError: No objects to concatenate`).",
        ]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
