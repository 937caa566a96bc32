"""Generation end to end: ``retailkit.synth.generate`` plus ``StoreData.write`` (Parquet).

For each size the work runs in a fresh Python subprocess, so one run's memory cannot inflate the
next run's figures; the child reports its own RSS high-water mark (``getrusage(RUSAGE_SELF)
.ru_maxrss``, which includes the interpreter and imported libraries).  Timings use
``time.perf_counter``; "total" is generate + write, and order lines per second are computed on
that total.

Targets (issue 2, on a 2-core machine):

* at least 1,000,000 order lines per second end to end;
* 1M customers (about 10M order lines) in at most 30 s, with peak memory at most 4 GB (10^9 bytes).

1M customers of ``traffic_first`` give fewer than 10M order lines, so after the largest size the
script also runs the customer count that gives about 10M order lines (``--lines-target``) and
checks the 30 s / 4 GB target on both.

It also times ``naive_generator.py`` (a row-by-row Faker generator of the same tables, as most
tutorials write one) on smaller sizes and reports the speed-up of the vectorised generator at the
same size.  At 2k and 10k customers retailkit's fixed costs (Faker name pools, product-choice
tables, imports of the pilot run) dominate, so the full run also times both at 100k customers,
where the ratio reflects the per-row costs.

Finally it measures what this machine allows: a table shaped like the largest run's sessions (same
rows and column types, random values), built with the least work numpy and pandas allow and
written with ``StoreData``'s Parquet writer, in a fresh process.  Sessions are a required part of
the world, so that time is a floor under any generator's time for the whole store; the report sets
it against the time the 1M lines/s target leaves for the whole store.

Usage::

    python benchmarks/bench_generate.py                    # 10k, 100k, 1M (+ ~10M lines); naive 2k, 10k, 100k
    python benchmarks/bench_generate.py --quick            # 10k, 100k; naive 2k
    python benchmarks/bench_generate.py --sizes 50000,200000 --naive-sizes 1000

The Markdown result goes to stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

FULL_SIZES = (10_000, 100_000, 1_000_000)
QUICK_SIZES = (10_000, 100_000)
FULL_NAIVE = (2_000, 10_000, 100_000)
QUICK_NAIVE = (2_000,)

TARGET_LINES_PER_S = 1_000_000
TARGET_SECONDS = 30.0
TARGET_PEAK_BYTES = 4 * 10**9
TARGET_CUSTOMERS = 1_000_000
TARGET_LINES = 10_000_000


def log(msg: str) -> None:
    print(f"[bench_generate] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------- worker
def _peak_rss_bytes() -> int:
    # Linux reports ru_maxrss in KiB, macOS in bytes
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss if sys.platform == "darwin" else rss * 1024


def _dir_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.iterdir() if f.is_file())


def _cpu_seconds() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def _kernel_seconds() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_stime


def worker(kind: str, n: int, scenario: str, seed: int) -> dict:
    """One measured run, inside its own process.  Returns the figures as a dict."""
    t_import = time.perf_counter()
    if kind == "retailkit":
        from retailkit.synth import generate
    else:
        from naive_generator import generate_naive, write_tables
    import_s = time.perf_counter() - t_import
    rss_before = _peak_rss_bytes()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    with tempfile.TemporaryDirectory(prefix=f"bench_{kind}_") as tmp:
        cpu0, sys0 = _cpu_seconds(), _kernel_seconds()
        t0 = time.perf_counter()
        if kind == "retailkit":
            store = generate(scenario, seed=seed, n_customers=n, progress=False)
            counts = store.row_counts()
        else:
            tables = generate_naive(scenario, n_customers=n, seed=seed)
            counts = {k: len(v) for k, v in tables.items()}
        t1 = time.perf_counter()
        peak_after_generate = _peak_rss_bytes()
        if kind == "retailkit":
            store.write(Path(tmp) / "store", overwrite=True)
        else:
            write_tables(tables, Path(tmp) / "store")
        t2 = time.perf_counter()
        cpu_s, sys_s = _cpu_seconds() - cpu0, _kernel_seconds() - sys0
        parquet_bytes = _dir_bytes(Path(tmp) / "store")
    return {
        "kind": kind, "requested": n, "scenario": scenario, "seed": seed,
        "customers": counts["customers"], "orders": counts["orders"], "order_lines": counts["order_lines"],
        "sessions": counts["sessions"], "returns": counts["returns"],
        "import_s": import_s, "generate_s": t1 - t0, "write_s": t2 - t1, "total_s": t2 - t0,
        "cpu_s": cpu_s, "sys_s": sys_s,
        "rss_before_bytes": rss_before, "peak_generate_bytes": peak_after_generate,
        "peak_bytes": _peak_rss_bytes(), "parquet_bytes": parquet_bytes, "loadavg_1min": load,
    }


def floor_worker(n_rows: int, seed: int) -> dict:
    """Build and write a sessions-shaped table of ``n_rows`` rows with as little work as possible.

    The columns are what ``sessions`` holds (int64 ids, UTC microsecond timestamps in increasing
    order, a 6-level category, Poisson pageviews, nullable customer and order ids), drawn with one
    vectorised call each; the timestamps are a cumulative sum, so nothing is sorted.  The values
    are random, as real ones are, so Parquet has as much to encode.  The time is a floor under the
    sessions stage of any generator of the world: it draws, allocates and encodes no more than that
    table needs."""
    import numpy as np
    import pandas as pd

    from retailkit.data import _write_parquet

    rng = np.random.default_rng(seed)
    with tempfile.TemporaryDirectory(prefix="bench_floor_") as tmp:
        cpu0, sys0 = _cpu_seconds(), _kernel_seconds()
        t0 = time.perf_counter()
        micros = np.cumsum(rng.integers(0, 6_000_000, n_rows))  # ~3 s apart on average
        micros += 1_672_531_200_000_000  # 2023-01-01 UTC
        df = pd.DataFrame({
            "session_id": np.arange(1, n_rows + 1),
            "started_at": pd.DatetimeIndex(micros, dtype=pd.DatetimeTZDtype("us", "UTC"), copy=False),
            "channel": pd.Categorical.from_codes(rng.integers(0, 6, n_rows, dtype=np.int8),
                                                 categories=[f"channel_{i}" for i in range(6)]),
            "customer_id": pd.arrays.IntegerArray(rng.integers(1, max(n_rows // 20, 2), n_rows),
                                                  rng.random(n_rows) < 0.8),
            "pageviews": rng.poisson(3.0, n_rows),
            "order_id": pd.arrays.IntegerArray(rng.integers(1, max(n_rows // 7, 2), n_rows), rng.random(n_rows) < 0.86),
        }, copy=False)
        t1 = time.perf_counter()
        _write_parquet(df, Path(tmp) / "sessions.parquet")
        t2 = time.perf_counter()
        cpu_s, sys_s = _cpu_seconds() - cpu0, _kernel_seconds() - sys0
    return {"kind": "floor", "rows": n_rows, "build_s": t1 - t0, "write_s": t2 - t1, "total_s": t2 - t0,
            "cpu_s": cpu_s, "sys_s": sys_s, "table_bytes": int(df.memory_usage(index=False).sum()),
            "peak_bytes": _peak_rss_bytes()}


def run_in_subprocess(kind: str, n: int, scenario: str, seed: int) -> dict:
    """Run :func:`worker` in a fresh interpreter; its last stdout line is the JSON result."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", kind, str(n),
           "--scenario", scenario, "--seed", str(seed)]
    unit = "session rows" if kind == "floor" else "customers"
    log(f"{kind}: {n:,} {unit} ...")
    t = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, cwd=HERE.parent)
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} run with {n:,} {unit} failed (exit {proc.returncode})")
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    if kind == "floor":
        log(f"floor: {n:,} session rows: build {res['build_s']:.2f} s, write {res['write_s']:.2f} s "
            f"({time.perf_counter() - t:.1f} s wall)")
    else:
        log(f"{kind}: {res['customers']:,} customers, {res['order_lines']:,} lines: "
            f"generate {res['generate_s']:.2f} s, write {res['write_s']:.2f} s, "
            f"peak {res['peak_bytes'] / 1e9:.2f} GB ({time.perf_counter() - t:.1f} s wall)")
    return res


# ---------------------------------------------------------------------------------------- report
def _lps(r: dict) -> float:
    return r["order_lines"] / r["total_s"] if r["total_s"] > 0 else float("inf")


def _ok(flag: bool) -> str:
    return "PASS" if flag else "FAIL"


def _gb(b: float) -> str:
    return f"{b / 1e9:.2f}"


def _times(ratio: float) -> str:
    return f"{ratio:.1f}×" if ratio < 10 else f"{ratio:.0f}×"


def _n(x: float) -> str:
    return f"{x:,.0f}"


def markdown(runs: list[dict], naive: list[dict], ref: dict[int, dict], scenario: str, quick: bool,
             lines_run: dict | None, floor: dict | None = None) -> str:
    out = ["## Generation end to end (`bench_generate.py`)", ""]
    out.append(f"Scenario `{scenario}`, seed {runs[0]['seed'] if runs else 0}. Each row is one fresh Python process: "
               "`generate(...)` then `StoreData.write()` (Parquet, zstd) into a temporary folder. "
               "Order lines/s are on the total (generate + write); peak RSS is the process's "
               "high-water mark (interpreter and imports included); GB = 10^9 bytes. CPU s is the process's "
               "user + system time over generate + write: well below total s means other work was competing "
               "for the CPUs. Kernel s is the part of CPU s spent in the kernel, mostly zeroing the fresh memory "
               "the tables are built in (page faults): on virtual machines this costs seconds per GB.")
    out.append("")
    out += ["| customers | orders | order lines | sessions | generate s | write s | total s | CPU s | kernel s "
            "| order lines/s | ≥ 1M lines/s | peak RSS GB | Parquet MB |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: | ---: | ---: |"]
    for r in runs:
        out.append(f"| {_n(r['customers'])} | {_n(r['orders'])} | {_n(r['order_lines'])} | {_n(r['sessions'])} "
                   f"| {r['generate_s']:.2f} | {r['write_s']:.2f} | {r['total_s']:.2f} | {r['cpu_s']:.2f} "
                   f"| {r.get('sys_s', float('nan')):.2f} | {_n(_lps(r))} | {_ok(_lps(r) >= TARGET_LINES_PER_S)} "
                   f"| {_gb(r['peak_bytes'])} "
                   f"| {r['parquet_bytes'] / 1e6:.1f} |")
    out.append("")
    if runs:
        big = max(runs, key=lambda r: r["customers"])
        out.append(f"Order lines per customer: {big['order_lines'] / big['customers']:.2f}; sessions per customer: "
                   f"{big['sessions'] / big['customers']:.1f} (largest run).")
        out.append("")

    # targets
    out += ["### Targets", "", "| target | run | measured | result |", "| --- | --- | ---: | :---: |"]
    target_runs = [r for r in runs if r["requested"] >= TARGET_CUSTOMERS]
    if lines_run is not None and lines_run not in target_runs:
        target_runs.append(lines_run)
    if not target_runs and runs:
        target_runs = [max(runs, key=lambda r: r["customers"])]
    for r in target_runs:
        label = f"{_n(r['customers'])} customers, {r['order_lines'] / 1e6:.1f}M lines"
        out.append(f"| ≥ {_n(TARGET_LINES_PER_S)} order lines/s | {label} | {_n(_lps(r))} "
                   f"| {_ok(_lps(r) >= TARGET_LINES_PER_S)} |")
        if r["requested"] >= TARGET_CUSTOMERS or r is lines_run:
            out.append(f"| ≤ {TARGET_SECONDS:.0f} s end to end | {label} | {r['total_s']:.1f} s "
                       f"| {_ok(r['total_s'] <= TARGET_SECONDS)} |")
            out.append(f"| peak RSS ≤ {TARGET_PEAK_BYTES / 1e9:.0f} GB | {label} | {_gb(r['peak_bytes'])} GB "
                       f"| {_ok(r['peak_bytes'] <= TARGET_PEAK_BYTES)} |")
    out.append("")
    if not any(r["requested"] >= TARGET_CUSTOMERS for r in runs):
        out.append(f"(No run reached {_n(TARGET_CUSTOMERS)} customers{' (--quick)' if quick else ''}: the 30 s and "
                   "4 GB targets were not measured.)")
        out.append("")

    # naive baseline
    if naive:
        out += ["### Row-by-row baseline (`naive_generator.py`)", "",
                "The same tables generated the way most tutorials do it: a Python loop per customer and per order, "
                "Faker calls per row, scalar random draws, lists of dicts turned into DataFrames, then Parquet. "
                "Speed-up = retailkit's end-to-end order lines/s over the baseline's, at the same requested "
                "number of customers; the CPU column divides by CPU seconds instead of wall seconds, which is "
                "less affected by other work on the machine.", "",
                "| generator | customers | orders | order lines | sessions | generate s | write s | total s | CPU s "
                "| order lines/s | peak RSS GB | speed-up | speed-up (CPU) |",
                "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for nv in naive:
            rk = ref.get(nv["requested"])
            for label, r in (("row by row", nv), ("retailkit", rk)):
                if r is None:
                    continue
                ratio = _lps(r) / _lps(nv)
                ratio_cpu = (r["order_lines"] / r["cpu_s"]) / (nv["order_lines"] / nv["cpu_s"])
                out.append(f"| {label} | {_n(r['customers'])} | {_n(r['orders'])} | {_n(r['order_lines'])} "
                           f"| {_n(r['sessions'])} | {r['generate_s']:.2f} | {r['write_s']:.2f} | {r['total_s']:.2f} "
                           f"| {r['cpu_s']:.2f} | {_n(_lps(r))} | {_gb(r['peak_bytes'])} | {_times(ratio)} "
                           f"| {_times(ratio_cpu)} |")
        out.append("")
        base = max(naive, key=lambda r: r["customers"])
        out.append(f"At the row-by-row rate ({_n(_lps(base))} lines/s), {TARGET_LINES / 1e6:.0f}M order lines would "
                   f"take about {TARGET_LINES / _lps(base) / 60:.0f} minutes.")
        out.append("")
    if floor is not None:
        out += floor_markdown(floor)
    loads = [r["loadavg_1min"] for r in runs + naive if r.get("loadavg_1min") == r.get("loadavg_1min")]
    if loads:
        out.append(f"1-minute load average at the start of the runs: {min(loads):.2f} to {max(loads):.2f} "
                   f"(on {os.cpu_count()} logical CPUs; above ~0.5, other work was competing with the benchmark).")
        out.append("")
    return "\n".join(out)


def floor_markdown(floor: dict) -> list[str]:
    """The least-work sessions table set against the time the 1M lines/s target leaves."""
    run = floor["against"]
    budget = run["order_lines"] / TARGET_LINES_PER_S
    cores = os.cpu_count() or 1
    spread = floor["cpu_s"] / cores
    out = ["### What this machine allows", "",
           f"The 1M lines/s target gives the run with {_n(run['customers'])} customers ({_n(run['order_lines'])} order "
           f"lines) {budget:.2f} s for the whole store: twelve tables, {_n(run['sessions'])} of whose rows are "
           "sessions. The row below is a table shaped like those sessions (same rows and column types, random "
           "values) built with one vectorised draw per column, no sorting, and written with `StoreData`'s Parquet "
           "writer, in a fresh process (`floor_worker` in `bench_generate.py`). Any generator of this world has "
           "at least that work to do for its sessions alone.", "",
           "| table | rows | in memory GB | build s | write s | total s | CPU s | kernel s | peak RSS GB |",
           "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
           f"| sessions-shaped, least work | {_n(floor['rows'])} | {_gb(floor['table_bytes'])} "
           f"| {floor['build_s']:.2f} | {floor['write_s']:.2f} | {floor['total_s']:.2f} | {floor['cpu_s']:.2f} "
           f"| {floor['sys_s']:.2f} "
           f"| {_gb(floor['peak_bytes'])} |", "",
           f"- Budget for the whole store at 1M lines/s: {budget:.2f} s.",
           f"- Sessions alone, least work, one core: {floor['total_s']:.2f} s "
           f"({floor['total_s'] / budget:.0%} of the budget).",
           f"- Sessions alone with its {floor['cpu_s']:.2f} CPU s spread perfectly over all {cores} cores: "
           f"{spread:.2f} s ({spread / budget:.0%} of the budget), leaving {max(budget - spread, 0):.2f} s for the "
           f"other eleven tables, their {_n(run['orders'])} orders and {_n(run['order_lines'])} lines, names and "
           "Parquet files.",
           f"- Kernel time is {floor['sys_s']:.2f} s of the least-work run: the kernel zeroes every fresh page, "
           f"here about {floor['sys_s'] / max(floor['peak_bytes'] / 1e9, 1e-9):.1f} s per GB of peak memory.",
           f"- retailkit's run: {run['total_s']:.2f} s, {run['cpu_s']:.2f} CPU s.", ""]
    return out


# ---------------------------------------------------------------------------------------- main
def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(float(s.replace("_", ""))) for s in text.split(",") if s.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated customer counts, got {text!r}") from None
    if not sizes or any(s < 1 for s in sizes):
        raise argparse.ArgumentTypeError(f"expected positive customer counts, got {text!r}")
    return sizes


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Benchmark generate + Parquet write (Markdown to stdout).")
    ap.add_argument("--quick", action="store_true", help="10k and 100k customers only; row-by-row at 2k")
    ap.add_argument("--sizes", type=_sizes, help="comma-separated customer counts (e.g. 10000,100000,1e6)")
    ap.add_argument("--naive-sizes", type=_sizes, help="customer counts for the row-by-row baseline")
    ap.add_argument("--no-naive", action="store_true", help="skip the row-by-row baseline")
    ap.add_argument("--lines-target", type=int, default=TARGET_LINES,
                    help="also run the customer count giving about this many order lines, if the largest size "
                         "gives fewer (default 10,000,000; 0 to skip; never with --quick)")
    ap.add_argument("--no-floor", action="store_true",
                    help="skip the least-work sessions table that measures what this machine allows")
    ap.add_argument("--scenario", default="traffic_first")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--worker", nargs=2, metavar=("KIND", "N"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.worker:
        kind, n = args.worker
        if kind not in ("retailkit", "naive", "floor"):
            ap.error(f"--worker: unknown kind {kind!r}")
        res = floor_worker(int(n), args.seed) if kind == "floor" else worker(kind, int(n), args.scenario, args.seed)
        print(json.dumps(res), flush=True)
        return 0

    sizes = args.sizes or (QUICK_SIZES if args.quick else FULL_SIZES)
    naive_sizes = () if args.no_naive else (args.naive_sizes or (QUICK_NAIVE if args.quick else FULL_NAIVE))
    try:
        runs = [run_in_subprocess("retailkit", n, args.scenario, args.seed) for n in sizes]
        lines_run = None
        big = max(runs, key=lambda r: r["order_lines"])
        if args.lines_target and not args.quick and big["order_lines"] < 0.9 * args.lines_target:
            per_customer = big["order_lines"] / big["customers"]
            n10 = int(round(args.lines_target / per_customer / 10_000) * 10_000)
            log(f"{big['order_lines'] / big['customers']:.2f} order lines per customer: "
                f"{n10:,} customers for ~{args.lines_target:,} lines")
            lines_run = run_in_subprocess("retailkit", n10, args.scenario, args.seed)
            runs.append(lines_run)
        ref = {r["requested"]: r for r in runs}
        naive = []
        for n in naive_sizes:
            naive.append(run_in_subprocess("naive", n, args.scenario, args.seed))
            if n not in ref:
                ref[n] = run_in_subprocess("retailkit", n, args.scenario, args.seed)
        floor = None
        if not args.no_floor:
            target = min(runs, key=lambda r: abs(r["requested"] - TARGET_CUSTOMERS))
            floor = run_in_subprocess("floor", target["sessions"], args.scenario, args.seed)
            floor["against"] = target
    except RuntimeError as exc:
        log(f"error: {exc}")
        return 1
    print(markdown(sorted(runs, key=lambda r: r["requested"]), naive, ref, args.scenario, args.quick, lines_run,
                   floor))
    return 0


if __name__ == "__main__":
    sys.exit(main())
