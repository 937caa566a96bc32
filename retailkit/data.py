"""StoreData: the tables of one store world, with its scenario, seed and kit version.

Tables and columns are those of :mod:`retailkit.schema` (see ``data/README.md``).  A store built
from a scenario carries that scenario and the seed, so the same kit version regenerates it.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from retailkit._version import __version__
from retailkit.errors import DataValidationError, RetailkitError, first_rows
from retailkit.schema import TABLES, coerce_table, empty_table

__all__ = ["StoreData", "load_sample", "sample_names", "data_dir"]

TABLE_NAMES = tuple(TABLES)
SAMPLES = ("traffic_first", "retention_first", "textbook")
METADATA_FILE = "metadata.json"


@dataclass(frozen=True, eq=False)
class StoreData:
    """The tables of one store (see ``data/README.md``), its scenario, seed and kit version.

    Build one from your own tables with ``StoreData(orders=..., customers=..., ...)``: tables you
    do not have may be left out (they become empty tables with the right columns).  Columns are
    converted to the schema's types on construction; :meth:`validate` checks the invariants."""

    stores: pd.DataFrame = field(default_factory=lambda: empty_table("stores"))
    products: pd.DataFrame = field(default_factory=lambda: empty_table("products"))
    customers: pd.DataFrame = field(default_factory=lambda: empty_table("customers"))
    orders: pd.DataFrame = field(default_factory=lambda: empty_table("orders"))
    order_lines: pd.DataFrame = field(default_factory=lambda: empty_table("order_lines"))
    returns: pd.DataFrame = field(default_factory=lambda: empty_table("returns"))
    sessions: pd.DataFrame = field(default_factory=lambda: empty_table("sessions"))
    marketing_spend: pd.DataFrame = field(default_factory=lambda: empty_table("marketing_spend"))
    memberships: pd.DataFrame = field(default_factory=lambda: empty_table("memberships"))
    campaigns: pd.DataFrame = field(default_factory=lambda: empty_table("campaigns"))
    campaign_assignments: pd.DataFrame = field(default_factory=lambda: empty_table("campaign_assignments"))
    loyalty_rollouts: pd.DataFrame = field(default_factory=lambda: empty_table("loyalty_rollouts"))
    scenario: object = None
    seed: int | None = None
    version: str = __version__

    def __post_init__(self):
        for name in TABLE_NAMES:
            object.__setattr__(self, name, coerce_table(name, getattr(self, name)))

    # ------------------------------------------------------------------ basics
    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables by name, in schema order."""
        return {name: getattr(self, name) for name in TABLE_NAMES}

    def row_counts(self) -> dict[str, int]:
        return {name: len(df) for name, df in self.tables().items()}

    @property
    def name(self) -> str:
        return getattr(self.scenario, "name", "store")

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}={v:,}" for k, v in self.row_counts().items())
        return f"<StoreData {self.name!r} seed={self.seed} version={self.version}: {counts}>"

    # ------------------------------------------------------------------ validation
    def validate(self) -> StoreData:
        """Check keys, links and invariants; raise :class:`DataValidationError` listing every
        broken rule with the table, column and first offending rows.  Returns ``self``."""
        problems = _check_all(self)
        if problems:
            raise DataValidationError(
                f"{len(problems)} problem(s) in store {self.name!r}:\n- " + "\n- ".join(problems)
            )
        return self

    # ------------------------------------------------------------------ files
    def write(self, path, *, overwrite: bool = False) -> Path:
        """Write one Parquet file per table plus ``metadata.json`` into the folder ``path``."""
        path = Path(path)
        if path.exists() and any(path.iterdir()) and not overwrite:
            raise RetailkitError(f"{path} exists and is not empty; pass overwrite=True to replace it")
        path.mkdir(parents=True, exist_ok=True)
        # two tables at a time, the biggest first: pyarrow releases the GIL while it encodes
        largest_first = sorted(self.tables().items(), key=lambda item: -len(item[1]))
        with ThreadPoolExecutor(max_workers=2) as pool:
            jobs = [pool.submit(_write_parquet, df, path / f"{name}.parquet") for name, df in largest_first]
            for job in jobs:
                job.result()
        (path / METADATA_FILE).write_text(json.dumps(self._metadata(), indent=2, ensure_ascii=False) + "\n")
        return path

    @classmethod
    def read(cls, path) -> StoreData:
        """Read a folder written by :meth:`write`."""
        from retailkit.synth.scenario import Scenario

        path = Path(path)
        meta_file = path / METADATA_FILE
        if not meta_file.exists():
            raise RetailkitError(f"{path} is not a retailkit store folder: {METADATA_FILE} is missing")
        meta = json.loads(meta_file.read_text())
        tables = {}
        for name in TABLE_NAMES:
            f = path / f"{name}.parquet"
            if not f.exists():
                raise RetailkitError(f"{path}: table file {f.name} is missing")
            tables[name] = pd.read_parquet(f)
        scenario = Scenario.from_dict(meta["scenario"]) if meta.get("scenario") else None
        return cls(**tables, scenario=scenario, seed=meta.get("seed"), version=meta.get("version", "unknown"))

    def to_csv(self, path) -> Path:
        """Write one CSV per table (timestamps in ISO 8601 with offset) plus ``metadata.json``."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        for name, df in self.tables().items():
            df.to_csv(path / f"{name}.csv", index=False)
        (path / METADATA_FILE).write_text(json.dumps(self._metadata(), indent=2, ensure_ascii=False) + "\n")
        return path

    def _metadata(self) -> dict:
        return {
            "name": self.name,
            "seed": self.seed,
            "version": self.version,
            "row_counts": self.row_counts(),
            "scenario": self.scenario.to_dict() if self.scenario is not None else None,
        }


def _write_parquet(df: pd.DataFrame, file: Path) -> None:
    # delta encoding suits sorted ids and timestamps (a tenth of the size of the default), and
    # spares the dictionary encoder the hopeless work on high-cardinality ids
    delta = [c for c in df.columns if df[c].dtype.kind in "iM"]
    df.to_parquet(file, index=False, compression="zstd", use_dictionary=[c for c in df.columns if c not in delta],
                  column_encoding={c: "DELTA_BINARY_PACKED" for c in delta})


# ---------------------------------------------------------------------- invariants
def _rows(df: pd.DataFrame, mask, cols) -> str:
    idx = df.index[np.asarray(mask)]
    return f"rows {first_rows(idx)}" + (f" (e.g. {df.loc[idx[:2], cols].to_dict('records')})" if len(idx) else "")


def _check_all(s: StoreData) -> list[str]:
    p: list[str] = []

    def need(ok, text):
        if not ok:
            p.append(text)

    # keys unique; the checks across tables need unique keys, so they wait until these pass
    for name, df in s.tables().items():
        key = list(TABLES[name].key)
        dup = df.duplicated(key, keep=False)
        need(not dup.any(), f"{name}: duplicate key {key} at {_rows(df, dup, key)}")
    if p:
        return p + ["(checks across tables skipped until the keys are unique)"]

    cu, od, ol, rt, se, sp = s.customers, s.orders, s.order_lines, s.returns, s.sessions, s.marketing_spend
    # links
    for name, df, col, ref, refcol in (
        ("orders", od, "customer_id", cu, "customer_id"),
        ("orders", od, "store_id", s.stores, "store_id"),
        ("customers", cu, "store_id", s.stores, "store_id"),
        ("order_lines", ol, "order_id", od, "order_id"),
        ("order_lines", ol, "sku", s.products, "sku"),
        ("sessions", se, "customer_id", cu, "customer_id"),
        ("sessions", se, "order_id", od, "order_id"),
        ("memberships", s.memberships, "customer_id", cu, "customer_id"),
        ("campaign_assignments", s.campaign_assignments, "customer_id", cu, "customer_id"),
        ("campaign_assignments", s.campaign_assignments, "campaign_id", s.campaigns, "campaign_id"),
        ("loyalty_rollouts", s.loyalty_rollouts, "store_id", s.stores, "store_id"),
    ):
        if len(ref) == 0 and name != "order_lines":
            continue
        vals = df[col]
        bad = vals.notna() & ~vals.isin(ref[refcol])
        need(not bad.any(), f"{name}.{col}: values not in {refcol} of the referenced table at {_rows(df, bad, [col])}")
    # money
    for name, df, cols in (
        ("orders", od, ["gross_amount", "discount_amount", "amount"]),
        ("order_lines", ol, ["unit_price", "discount_amount", "line_amount"]),
        ("returns", rt, ["refund_amount"]),
        ("marketing_spend", sp, ["spend"]),
        ("products", s.products, ["unit_cost", "list_price"]),
    ):
        for c in cols:
            bad = df[c] < 0
            need(not bad.any(), f"{name}.{c}: negative amounts at {_rows(df, bad, [c])}")
    bad = (od["gross_amount"] - od["discount_amount"] - od["amount"]).abs() > 0.005
    need(not bad.any(), f"orders: amount != gross_amount - discount_amount at {_rows(od, bad, ['order_id'])}")
    bad = ol["quantity"] < 1
    need(not bad.any(), f"order_lines.quantity: below 1 at {_rows(ol, bad, ['order_id', 'sku'])}")
    # lines add up to orders
    if len(ol):
        sums = ol.groupby("order_id")["line_amount"].sum()
        have = od.set_index("order_id")["amount"]
        diff = (have.reindex(sums.index) - sums).abs() > 0.005 * (1 + ol.groupby("order_id").size())
        need(not diff.any(),
             f"orders.amount: differs from the sum of its lines for order_id {first_rows(sums.index[diff])}")
    # orders within each customer's life
    if len(od) and len(cu):
        c = cu.set_index("customer_id")
        acq = c["acquired_at"].reindex(od["customer_id"]).to_numpy()
        early = od["ordered_at"].to_numpy() < acq
        need(not early.any(), f"orders: ordered before the customer was acquired at {_rows(od, early, ['order_id'])}")
        first = od.groupby("customer_id")["ordered_at"].min()
        mism = first.reindex(c.index).ne(c["acquired_at"]) & c.index.isin(first.index)
        need(not mism.any(),
             f"customers.acquired_at: not the first order's time for customer_id {first_rows(c.index[mism])}")
        if "true_dropout_at" in c:
            drop = c["true_dropout_at"].reindex(od["customer_id"]).to_numpy()
            late = pd.notna(drop) & (od["ordered_at"].to_numpy() > drop)
            need(not late.any(),
                 f"orders: ordered after the customer's true drop-out at {_rows(od, late, ['order_id'])}")
    # returns never exceed what was bought, never before the order
    if len(rt):
        lines = ol.set_index(["order_id", "sku"])["quantity"]
        key = pd.MultiIndex.from_frame(rt[["order_id", "sku"]])
        bought = lines.reindex(key).to_numpy()
        bad = np.isnan(bought.astype(float)) | (rt["quantity"].to_numpy() > np.nan_to_num(bought))
        need(not bad.any(), "returns: quantity exceeds the units bought (or no such line) at "
             + _rows(rt, bad, ["order_id", "sku"]))
        paid = ol.set_index(["order_id", "sku"])["line_amount"].reindex(key).to_numpy()
        bad = rt["refund_amount"].to_numpy() > np.nan_to_num(paid) + 0.005
        need(not bad.any(), "returns.refund_amount: exceeds the amount paid for the line at "
             + _rows(rt, bad, ["order_id", "sku"]))
        when = od.set_index("order_id")["ordered_at"].reindex(rt["order_id"]).to_numpy()
        bad = rt["returned_at"].to_numpy() < when
        need(not bad.any(), f"returns.returned_at: before the order at {_rows(rt, bad, ['order_id', 'sku'])}")
    # sessions link to orders of the same customer, one session per order at most
    if len(se):
        conv = se[se["order_id"].notna()]
        dup = conv["order_id"].duplicated(keep=False)
        need(not dup.any(), "sessions.order_id: an order is linked to more than one session at "
             + _rows(conv, dup, ["session_id"]))
        who = od.set_index("order_id")["customer_id"].reindex(conv["order_id"].astype("int64")).to_numpy()
        known = conv["customer_id"].to_numpy(dtype="float64", na_value=np.nan)
        bad = np.isnan(known) | (known != who)
        need(not bad.any(), "sessions: converting session's customer differs from the order's at "
             + _rows(conv, bad, ["session_id"]))
        bad = se["pageviews"] < 0
        need(not bad.any(), f"sessions.pageviews: negative at {_rows(se, bad, ['session_id'])}")
    _check_programmes(s, need)
    return p


def _check_programmes(s: StoreData, need) -> None:
    me, ca = s.memberships, s.campaign_assignments
    bad = me["renewals"] < 0
    need(not bad.any(), f"memberships.renewals: negative at {_rows(me, bad, ['customer_id'])}")
    bad = me["ended_on"].notna() & (me["ended_on"] <= me["started_on"])
    need(not bad.any(), f"memberships.ended_on: not after started_on at {_rows(me, bad, ['customer_id'])}")
    bad = ~ca["arm"].isin(["treatment", "control"])
    need(not bad.any(), f"campaign_assignments.arm: not 'treatment' or 'control' at {_rows(ca, bad, ['customer_id'])}")
    if len(ca) and len(s.customers):
        acq = s.customers.set_index("customer_id")["acquired_at"].reindex(ca["customer_id"]).to_numpy()
        bad = acq > ca["assigned_at"].to_numpy()
        need(not bad.any(), "campaign_assignments: customers assigned before they were acquired at "
             + _rows(ca, bad, ["customer_id"]))


# ---------------------------------------------------------------------- bundled samples
def data_dir() -> Path:
    """The folder holding the bundled samples: ``$RETAILKIT_DATA`` if set, else the repository's
    ``data/`` next to the package."""
    env = os.environ.get("RETAILKIT_DATA")
    return Path(env) if env else Path(__file__).resolve().parent.parent / "data"


def sample_names() -> tuple[str, ...]:
    """Names of the bundled sample stores."""
    return SAMPLES


def load_sample(name: str) -> StoreData:
    """Load a bundled sample store: ``traffic_first``, ``retention_first`` or ``textbook``."""
    if name not in SAMPLES:
        raise RetailkitError(f"unknown sample {name!r}; samples are {list(SAMPLES)}")
    folder = data_dir() / name
    if not (folder / METADATA_FILE).exists():
        raise RetailkitError(
            f"sample {name!r} not found in {folder}. Run `make data` in the repository (or "
            f"`retailkit make-samples --out DIR` and set RETAILKIT_DATA=DIR)."
        )
    return StoreData.read(folder)
