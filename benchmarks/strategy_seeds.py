"""How robust is the course's story?  The two strategy presets drawn on several seeds.

Usage::

    python benchmarks/strategy_seeds.py [--seeds 2026,1,2,3,4,5]

Each seed draws ``traffic_first`` and ``retention_first`` at the bundled scale (the scenarios of
``retailkit.synth.samples.sample_scenarios``; seed 2026 is the bundled data) and prints one row of
the numbers chapters 01-04 assert on the bundled data:

* ``sessions``, ``new``, ``gmv23``: traffic_first / retention_first in 2023 (sessions, new
  customers, GMV); ``gmv_q1``, ``gmv_q4``: the same ratio for 2023's first and last quarter;
* ``added_tf``, ``added_rf``: GMV added between 2023's first and last quarter (USD per quarter);
* ``gmv24``: traffic_first / retention_first GMV in 2024;
* ``overtake_q``, ``overtake_cum``: the quarter from which retention_first's returning-customer
  revenue stays ahead to the end, per quarter and cumulated (None if it never does);
* ``contribution``: retention_first / traffic_first contribution margin after all marketing
  spend over the two years.

About 15 s per seed; not part of the test suite (``tests/test_strategy_story.py`` checks one
fresh seed).  Use it before changing the presets: a story that holds on one seed only is luck.
"""

from __future__ import annotations

import argparse
import warnings

import pandas as pd

import retailkit as rk
from retailkit.synth.samples import sample_scenarios


def _overtakes(a: pd.Series, b: pd.Series):
    """First period from which a stays above b to the end, or None."""
    ahead = a > b
    if not ahead.iloc[-1]:
        return None
    behind = ahead.index[~ahead.to_numpy()]
    return ahead.index[0] if len(behind) == 0 else ahead.index[ahead.index > behind.max()][0]


def _lens(store) -> dict:
    k = rk.kpi_table(store, period="Q").set_index("period")
    y = k[k.index.year == 2023]
    r = rk.returning_revenue_share(rk.transactions(store), period="Q")
    margin = rk.order_margins(store)["margin"].sum()
    return {"sessions": y["sessions"].sum(), "new": y["new_customers"].sum(), "gmv23": y["gmv"].sum(),
            "gmv_q1": y["gmv"].iloc[0], "gmv_q4": y["gmv"].iloc[-1], "added": y["gmv"].iloc[-1] - y["gmv"].iloc[0],
            "gmv24": k.loc[k.index.year == 2024, "gmv"].sum(),
            "returning": r[r["complete"]].set_index("period")["returning_revenue"],
            "contribution": margin - store.marketing_spend["spend"].sum()}


def one_seed(seed: int) -> dict:
    scs = sample_scenarios()
    tf, rf = (_lens(rk.generate(scs[name], seed=seed, progress=False)) for name in ("traffic_first", "retention_first"))
    return {
        "seed": seed,
        **{key: tf[key] / rf[key] for key in ("sessions", "new", "gmv23", "gmv_q1", "gmv_q4", "gmv24")},
        "added_tf": tf["added"], "added_rf": rf["added"],
        "overtake_q": str(_overtakes(rf["returning"], tf["returning"])),
        "overtake_cum": str(_overtakes(rf["returning"].cumsum(), tf["returning"].cumsum())),
        "contribution": rf["contribution"] / tf["contribution"],
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="2026,1,2,3,4,5", help="comma-separated seeds")
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore", rk.RowsLeftOutWarning)
    rows = [one_seed(int(s)) for s in args.seeds.split(",")]
    table = pd.DataFrame(rows).set_index("seed")
    print(table.to_string(float_format=lambda v: f"{v:,.3f}" if abs(v) < 100 else f"{v:,.0f}"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
