"""Command line: ``retailkit generate``, ``retailkit scenarios``, ``retailkit make-samples``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from retailkit.errors import RetailkitError

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="retailkit", description="Synthetic store worlds whose truth is known.")
    sub = p.add_subparsers(dest="command", required=True)
    g = sub.add_parser("generate", help="draw a store world and write it as Parquet (or CSV)")
    src = g.add_mutually_exclusive_group(required=True)
    src.add_argument("--scenario", help="preset name (see `retailkit scenarios`)")
    src.add_argument("--scenario-file", type=Path, help="scenario JSON file (e.g. edited from `scenarios --show`)")
    g.add_argument("--customers", type=int, default=None, help="scale acquisition to roughly this many customers")
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--out", type=Path, required=True, help="output folder")
    g.add_argument("--csv", action="store_true", help="write CSV files instead of Parquet")
    g.add_argument("--overwrite", action="store_true", help="replace a non-empty output folder")
    g.add_argument("--quiet", action="store_true", help="no progress bar")
    s = sub.add_parser("scenarios", help="list the presets, or print one as editable JSON")
    s.add_argument("--show", metavar="NAME", help="print this preset's JSON")
    m = sub.add_parser("make-samples", help="regenerate the bundled sample stores (what `make data` runs)")
    m.add_argument("--out", type=Path, default=Path("data"))
    m.add_argument("--quiet", action="store_true")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except RetailkitError as exc:
        print(f"retailkit: error: {exc}", file=sys.stderr)
        return 2


def _run(args) -> int:
    from retailkit.synth import Scenario, generate

    if args.command == "scenarios":
        if args.show:
            print(Scenario.preset(args.show).to_json())
        else:
            for name in Scenario.presets():
                sc = Scenario.preset(name)
                print(f"{name:16s} {sc.description}")
        return 0
    if args.command == "make-samples":
        from retailkit.synth.samples import make_samples

        man = make_samples(args.out, progress=not args.quiet)
        for name, m in man.items():
            print(f"{name}: " + ", ".join(f"{k}={v:,}" for k, v in m["row_counts"].items()))
        return 0
    if args.scenario_file is not None:
        if not args.scenario_file.exists():
            raise RetailkitError(f"--scenario-file: no such file {args.scenario_file}")
        sc = Scenario.from_json(args.scenario_file.read_text())
    else:
        sc = Scenario.preset(args.scenario)
    if args.out.exists() and any(args.out.iterdir()) and not args.overwrite:
        raise RetailkitError(f"--out: {args.out} exists and is not empty; pass --overwrite to replace it")
    store = generate(sc, seed=args.seed, n_customers=args.customers, progress=not args.quiet).validate()
    if args.csv:
        store.to_csv(args.out)
    else:
        store.write(args.out, overwrite=True)
    print(f"wrote {store!r} to {args.out}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
