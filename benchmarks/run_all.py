"""Run every ``benchmarks/bench_*.py`` and record the results in ``benchmarks/RESULTS.md``.

Each script runs in its own subprocess with the current interpreter.  Its stderr (progress) is
streamed to the terminal as it runs; its stdout is its result, in Markdown, and becomes one
section of ``RESULTS.md`` under a header describing the machine and library versions.

Usage::

    python benchmarks/run_all.py                 # every script, write RESULTS.md
    python benchmarks/run_all.py --quick         # pass --quick to every script (smaller sizes)
    python benchmarks/run_all.py --only generate # one script (bench_generate.py); its section is
                                                 # replaced, the other sections are kept
    python benchmarks/run_all.py --no-write      # print the Markdown, leave RESULTS.md alone
    python benchmarks/run_all.py -- --seed 1     # arguments after -- go to every script

Exits non-zero if a script fails (its section then records the failure).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "RESULTS.md"
PACKAGES = ("retailkit", "numpy", "pandas", "pyarrow", "scipy", "faker", "lifetimes", "pymc-marketing")
SECTION = re.compile(r"<!-- bench: (?P<name>\S+) -->\n(?P<body>.*?)<!-- /bench: (?P=name) -->\n", re.S)


def log(msg: str) -> None:
    print(f"[run_all] {msg}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------ machine
def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith(("model name", "hardware", "cpu model")):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def _ram_gb() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) * 1024 / 1e9:.1f} GB"
    except OSError:
        pass
    try:
        import psutil

        return f"{psutil.virtual_memory().total / 1e9:.1f} GB"
    except ImportError:
        return "unknown"


def _os_name() -> str:
    try:
        info = platform.freedesktop_os_release()
        return f"{info.get('PRETTY_NAME', info.get('NAME', 'Linux'))} (kernel {platform.release()})"
    except (OSError, AttributeError):
        return platform.platform()


def _version(pkg: str) -> str | None:
    try:
        return metadata.version(pkg)
    except metadata.PackageNotFoundError:
        return None


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                             timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    changed = [line for line in dirty.stdout.splitlines() if not line.endswith(str(RESULTS.relative_to(ROOT)))]
    return out.stdout.strip() + (" (with uncommitted changes)" if changed else "")


def machine_header() -> str:
    cpus = os.cpu_count() or 0
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = cpus
    versions = ", ".join(f"{p} {v}" for p in PACKAGES if (v := _version(p)))
    load = "n/a"
    if hasattr(os, "getloadavg"):
        load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    lines = [
        "# Benchmark results",
        "",
        "Written by `python benchmarks/run_all.py` (`make bench`); see `benchmarks/README.md` for what each "
        "script measures and the targets. Do not edit by hand: re-run the benchmarks.",
        "",
        "## Machine",
        "",
        "| | |",
        "| --- | --- |",
        f"| date | {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')} |",
        f"| CPU | {_cpu_model()} |",
        f"| cores | {cpus} logical ({usable} usable by this process) |",
        f"| RAM | {_ram_gb()} |",
        f"| OS | {_os_name()} |",
        f"| Python | {platform.python_implementation()} {platform.python_version()} |",
        f"| packages | {versions} |",
        f"| load average (1/5/15 min) at start | {load} |",
    ]
    commit = _git_commit()
    if commit:
        lines.append(f"| retailkit commit (latest run) | {commit}; each section's last line names its own commit |")
    lines.append("")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------ running
def discover() -> list[Path]:
    return sorted(HERE.glob("bench_*.py"))


def select(scripts: list[Path], only: str) -> list[Path]:
    name = only.removesuffix(".py")
    name = name if name.startswith("bench_") else f"bench_{name}"
    chosen = [s for s in scripts if s.stem == name]
    if not chosen:
        raise SystemExit(f"run_all: no benchmark {only!r}; scripts are {[s.stem for s in scripts]}")
    return chosen


def run_script(script: Path, extra: list[str]) -> tuple[int, str, float]:
    """Run one script; stderr streams through, stdout is captured.  Returns (exit code, stdout, seconds)."""
    cmd = [sys.executable, str(script), *extra]
    log(f"running {script.name} {' '.join(extra)}".rstrip())
    t = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=None, text=True)
    seconds = time.perf_counter() - t
    log(f"{script.name}: exit {proc.returncode} after {seconds:.0f} s")
    return proc.returncode, proc.stdout, seconds


def section(script: Path, extra: list[str], code: int, stdout: str, seconds: float) -> str:
    body = stdout.strip()
    if not body.startswith("#"):
        body = f"## {script.name}\n\n{body}".rstrip()
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    cmd = " ".join(["python", f"benchmarks/{script.name}", *extra])
    lines = [f"<!-- bench: {script.name} -->", body, ""]
    if code != 0:
        lines += [f"**FAILED** (exit code {code}): the output above is incomplete.", ""]
    commit = _git_commit()
    at = f", retailkit commit {commit}" if commit else ""
    lines += [f"_`{cmd}`: {when}, {seconds:.0f} s{at}._", "", f"<!-- /bench: {script.name} -->", ""]
    return "\n".join(lines)


def merge(header: str, new: dict[str, str], keep_old: bool) -> str:
    """The header plus sections: new ones replace old ones of the same script; with ``keep_old``,
    sections of scripts not run this time are kept (they carry their own date)."""
    sections: dict[str, str] = {}
    if keep_old and RESULTS.exists():
        for m in SECTION.finditer(RESULTS.read_text()):
            sections[m.group("name")] = m.group(0)
    sections.update(new)
    order = [s.name for s in discover()]
    names = sorted(sections, key=lambda n: (order.index(n) if n in order else len(order), n))
    return header + "\n" + "\n".join(sections[n] for n in names)


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1:]
    ap = argparse.ArgumentParser(description="Run every benchmarks/bench_*.py and write benchmarks/RESULTS.md.")
    ap.add_argument("--only", metavar="NAME", help="run one script, e.g. 'generate' or 'bench_generate.py'")
    ap.add_argument("--quick", action="store_true", help="pass --quick to every script (smaller sizes)")
    ap.add_argument("--no-write", action="store_true", help="print the Markdown instead of writing RESULTS.md")
    args = ap.parse_args(argv)
    if args.quick:
        extra = ["--quick", *extra]

    scripts = discover()
    if not scripts:
        log(f"no bench_*.py scripts in {HERE}")
        return 1
    if args.only:
        scripts = select(scripts, args.only)
    header = machine_header()
    new, failed = {}, []
    for script in scripts:
        code, stdout, seconds = run_script(script, extra)
        new[script.name] = section(script, extra, code, stdout, seconds)
        if code != 0:
            failed.append(script.name)
    text = merge(header, new, keep_old=bool(args.only))
    if args.no_write:
        print(text)
    else:
        RESULTS.write_text(text)
        log(f"wrote {RESULTS.relative_to(ROOT)}")
    if failed:
        log(f"failed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
