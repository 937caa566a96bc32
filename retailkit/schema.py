"""Table specifications: the names, types, units and meaning of every column.

This module is the single source of the data dictionary (``data/README.md`` is generated from it
by :func:`data_dictionary`) and of the type checks in :meth:`StoreData.validate`.

Kinds of column
---------------
``id``        integer identifier (int64)
``nid``       nullable integer identifier (pandas ``Int64``)
``int``       integer count (int64)
``float``     real number (float64)
``money``     currency amount, two decimals (float64)
``str``       text
``category``  one of a small set of labels (pandas ``category``)
``ts``        timestamp, timezone-aware UTC (``datetime64[us, UTC]``); column names end in ``_at``
``date``      store-local calendar date at midnight, no time zone (``datetime64[us]``); names end in
              ``_on`` or ``_date``
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from retailkit.errors import SchemaError, first_rows

__all__ = ["Column", "Table", "TABLES", "table_spec", "empty_table", "coerce_table", "data_dictionary"]

DTYPES = {
    "id": "int64",
    "nid": "Int64",
    "int": "int64",
    "float": "float64",
    "money": "float64",
    "str": "str",
    "category": "category",
    "bool": "bool",
    "ts": "datetime64[us, UTC]",
    "date": "datetime64[us]",
}


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    unit: str
    meaning: str
    nullable: bool = False
    truth: bool = False


@dataclass(frozen=True)
class Table:
    name: str
    key: tuple[str, ...]
    meaning: str
    columns: tuple[Column, ...]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


C = Column
TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table("stores", ("store_id",), "One row per store: the online shop and the physical stores.", (
            C("store_id", "str", "", "store identifier"),
            C("name", "str", "", "store name"),
            C("city", "str", "", "city the store is in (the online store: the company's home city)"),
            C("format", "category", "", "'online' or 'physical'"),
            C("timezone", "str", "", "IANA time zone; calendar dates of the store's orders are in it"),
        )),
        Table("products", ("sku",), "One row per product in the catalogue.", (
            C("sku", "str", "", "stock-keeping unit, the product identifier"),
            C("name", "str", "", "product name"),
            C("category", "category", "", "product category"),
            C("unit_cost", "money", "currency", "what one unit costs the retailer"),
            C("list_price", "money", "currency", "the product's regular price"),
            C("launched_on", "date", "", "first day the product could be bought"),
        )),
        Table("customers", ("customer_id",),
              "One row per customer ever acquired. A customer is acquired by their first order. "
              "Columns starting with true_ are the world's ground truth, unknown in real data.", (
            C("customer_id", "id", "", "customer identifier"),
            C("name", "str", "", "customer name (synthetic; optional in your own data)", nullable=True),
            C("email", "str", "", "e-mail address (synthetic, unique; optional in your own data)", nullable=True),
            C("city", "str", "", "home city (synthetic; optional in your own data)", nullable=True),
            C("acquired_at", "ts", "UTC", "time of the first order"),
            C("channel", "category", "", "acquisition channel: the channel of the session that converted"),
            C("store_id", "str", "", "home store: 'online', or the physical store that acquired them"),
            C("true_lambda", "float", "purchases/week", "purchase rate while alive (before seasonality; with the "
              "retention programme as strong as it was at acquisition)",
              nullable=True, truth=True),
            C("true_p", "float", "probability", "probability of dropping out after each repeat purchase (with the "
              "retention programme as strong as it was at acquisition)",
              nullable=True, truth=True),
            C("true_nu", "float", "1/currency", "Gamma-Gamma spend rate: order values are Gamma(p, rate=true_nu)",
              nullable=True, truth=True),
            C("true_dropout_at", "ts", "UTC", "when the customer dropped out (null: still alive at the end)",
              nullable=True, truth=True),
        )),
        Table("orders", ("order_id",), "One row per order (purchase).", (
            C("order_id", "id", "", "order identifier, increasing with time"),
            C("customer_id", "id", "", "who ordered"),
            C("store_id", "str", "", "where the order was placed"),
            C("ordered_at", "ts", "UTC", "time of the order"),
            C("gross_amount", "money", "currency", "sum of the lines at the prices paid before discounts"),
            C("discount_amount", "money", "currency", "discount granted (subsidised first orders, sales events)"),
            C("amount", "money", "currency", "paid: gross_amount - discount_amount (refunds are in returns)"),
        )),
        Table("order_lines", ("order_id", "sku"), "One row per product in an order.", (
            C("order_id", "id", "", "the order"),
            C("sku", "str", "", "the product"),
            C("quantity", "int", "units", "units bought"),
            C("unit_price", "money", "currency", "price paid per unit before discount"),
            C("discount_amount", "money", "currency", "discount on this line"),
            C("line_amount", "money", "currency", "paid for this line: quantity * unit_price - discount_amount"),
        )),
        Table("returns", ("order_id", "sku"), "One row per returned order line (at most one per line).", (
            C("order_id", "id", "", "the order the goods were bought in"),
            C("sku", "str", "", "the product returned"),
            C("quantity", "int", "units", "units returned, at most the units bought"),
            C("refund_amount", "money", "currency", "refunded: the paid line amount pro rata"),
            C("returned_at", "ts", "UTC", "time of the return"),
        )),
        Table("sessions", ("session_id",),
              "One row per visit: a web session, or for the store channel a store visit (pageviews 0).", (
            C("session_id", "id", "", "session identifier, increasing with time"),
            C("started_at", "ts", "UTC", "start of the session"),
            C("channel", "category", "", "traffic channel the visit came through"),
            C("customer_id", "nid", "", "known customer, null for an anonymous visitor", nullable=True),
            C("pageviews", "int", "pages", "pages viewed (0 for store visits)"),
            C("order_id", "nid", "", "the order the session converted into, null if none", nullable=True),
        )),
        Table("marketing_spend", ("spend_date", "channel"),
              "Spend per day and channel; channel 'retention' is the retention programme (service, loyalty).", (
            C("spend_date", "date", "", "calendar day of the spend"),
            C("channel", "category", "", "acquisition channel, or 'retention'"),
            C("spend", "money", "currency", "amount spent"),
        )),
        Table("memberships", ("customer_id",),
              "Paid memberships: customers join at their first order and renew every period (yearly in the "
              "presets) until they lapse. Churn per period follows a shifted-beta-geometric process.", (
            C("customer_id", "id", "", "the member"),
            C("started_on", "date", "", "day the membership started (the first order's local date)"),
            C("renewals", "int", "periods", "renewals seen up to the end of the data"),
            C("ended_on", "date", "", "day the membership lapsed (null: still active at the end)", nullable=True),
            C("fee", "money", "currency/period", "membership fee per period"),
            C("true_churn_p", "float", "probability", "the member's churn probability per period", truth=True),
        )),
        Table("campaigns", ("campaign_id",), "Randomised retention campaigns.", (
            C("campaign_id", "id", "", "campaign identifier"),
            C("name", "str", "", "campaign name"),
            C("started_on", "date", "", "first day of the campaign window"),
            C("ends_on", "date", "", "last day of the window over which repurchase is measured"),
            C("treated_share", "float", "share", "probability of assignment to treatment"),
            C("cost_per_contact", "money", "currency", "cost of contacting one treated customer"),
        )),
        Table("campaign_assignments", ("campaign_id", "customer_id"),
              "Who was eligible for each campaign (acquired long enough before it) and their random arm.", (
            C("campaign_id", "id", "", "the campaign"),
            C("customer_id", "id", "", "the customer"),
            C("arm", "str", "", "'treatment' or 'control'"),
            C("assigned_at", "ts", "UTC", "time of assignment (the campaign start)"),
            C("true_effect", "float", "probability", "true effect of treatment on P(buy in the window)", truth=True),
            C("true_alive", "bool", "", "whether the customer was truly alive at the start", truth=True),
        )),
        Table("loyalty_rollouts", ("store_id",),
              "Loyalty-programme launches per store (stores not listed never launched it).", (
            C("store_id", "str", "", "the store"),
            C("started_on", "date", "", "launch day"),
            C("true_max_uplift", "float", "share", "purchase-rate uplift once fully ramped up", truth=True),
            C("true_ramp_months", "float", "months", "months over which the uplift grows to its maximum",
              truth=True),
        )),
    )
}


def table_spec(name: str) -> Table:
    if name not in TABLES:
        raise SchemaError(f"unknown table {name!r}; tables are {list(TABLES)}")
    return TABLES[name]


def empty_table(name: str) -> pd.DataFrame:
    """A table with no rows and the right columns and types."""
    spec = table_spec(name)
    return pd.DataFrame({c.name: pd.Series([], dtype=DTYPES[c.kind]) for c in spec.columns})


def coerce_table(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """Check a table's columns and convert them to the schema's types.

    Extra columns are kept (after the schema's columns).  Raises :class:`SchemaError` naming the
    table, column and first offending rows when a column is missing or cannot be converted."""
    spec = table_spec(name)
    if not isinstance(df, pd.DataFrame):
        raise SchemaError(f"{name}: expected a pandas DataFrame, got {type(df).__name__}")
    # Optional columns (ground truth, which real data never has, and other nullable ones) may be
    # absent: they are added empty.  Required ones must be there.
    optional = [c.name for c in spec.columns if (c.truth or c.nullable) and c.name not in df.columns]
    if optional:
        df = df.assign(**{name: pd.Series(pd.NA, index=df.index, dtype="object") for name in optional})
    missing = [c for c in spec.names if c not in df.columns]
    if missing:
        raise SchemaError(
            f"{name}: missing column(s) {missing}; the table has {list(df.columns)}. "
            f"See data/README.md for the expected columns."
        )
    out = {}
    for col in spec.columns:
        s = df[col.name]
        try:
            out[col.name] = _coerce(s, col)
        except SchemaError as exc:
            raise SchemaError(f"{name}.{col.name}: {exc}") from None
        if not col.nullable and out[col.name].isna().any():
            bad = out[col.name].index[out[col.name].isna()]
            raise SchemaError(f"{name}.{col.name}: missing values at rows {first_rows(bad)}; "
                              "the column may not be null")
    for c in df.columns:  # extra columns are kept, after the schema's
        if c not in out:
            out[c] = df[c]
    # columns whose type already matched are not copied (copy-on-write keeps the caller's frame safe)
    return pd.DataFrame(out, index=df.index, copy=False).reset_index(drop=True)


def _coerce(s: pd.Series, col: Column) -> pd.Series:
    kind = col.kind
    target = DTYPES[kind]
    if str(s.dtype) == target:
        return s
    if kind in ("ts", "date"):
        if isinstance(s.dtype, pd.DatetimeTZDtype):
            conv = s.dt.tz_convert("UTC")
        else:
            conv = pd.to_datetime(s, errors="coerce", utc=(kind == "ts"))
            bad = conv.isna() & s.notna()
            if bad.any():
                raise SchemaError(f"cannot parse as dates at rows {first_rows(s.index[bad])} "
                                  f"(values {list(s[bad].head(3))})")
        if kind == "date":
            if isinstance(conv.dtype, pd.DatetimeTZDtype):
                raise SchemaError("expected a calendar date without time zone, got timezone-aware timestamps")
            conv = conv.dt.normalize()
        return conv.astype(target)
    if kind in ("id", "int", "nid"):
        num = pd.to_numeric(s, errors="coerce")
        bad = num.isna() & s.notna()
        frac = num.notna() & (num != np.round(num))
        if bad.any() or frac.any():
            rows = s.index[bad | frac]
            raise SchemaError(f"expected whole numbers, found {list(s[bad | frac].head(3))} at rows {first_rows(rows)}")
        if kind == "nid" or num.isna().any():
            return num.astype("Int64") if kind == "nid" else num
        return num.astype("int64")
    if kind in ("float", "money"):
        num = pd.to_numeric(s, errors="coerce")
        bad = num.isna() & s.notna()
        if bad.any():
            raise SchemaError(f"expected numbers, found {list(s[bad].head(3))} at rows {first_rows(s.index[bad])}")
        return num.astype("float64")
    if kind == "category":
        return s.astype("category")
    if kind == "bool":
        if s.isna().any() or not set(pd.unique(s)) <= {True, False}:
            raise SchemaError(f"expected true/false values, found {list(pd.unique(s))[:3]}")
        return s.astype("bool")
    return s.astype("str")


def data_dictionary(row_counts: dict[str, dict[str, int]] | None = None) -> str:
    """The data dictionary as Markdown (the body of ``data/README.md``)."""
    kinds = {
        "id": "integer", "nid": "integer, nullable", "int": "integer", "float": "real",
        "money": "money (2 decimals)", "str": "text", "category": "label", "bool": "true/false",
        "ts": "timestamp (UTC)", "date": "date (store-local)",
    }
    lines = []
    for t in TABLES.values():
        lines += [f"### `{t.name}`", "", t.meaning + f" Key: {', '.join(t.key)}.", ""]
        lines += ["| column | type | unit | meaning |", "| --- | --- | --- | --- |"]
        for c in t.columns:
            meaning = ("**truth** " if c.truth else "") + c.meaning
            lines.append(f"| `{c.name}` | {kinds[c.kind]} | {c.unit} | {meaning} |")
        lines.append("")
    return "\n".join(lines)
