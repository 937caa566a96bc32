"""Shared machinery for transaction logs (private): checks, day numbers, customer codes, counts.

Everything downstream works on three aligned integer/float arrays: ``codes`` (customer position
0..n-1 in a sorted customer index), ``days`` (calendar day number, days since 1970-01-01) and
``amounts``.  Aggregation is then bincount, ``ufunc.at`` or one sort of an integer key.
"""

from __future__ import annotations

import difflib
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pandas.api import types as pdt

from retailkit.errors import InputError, SchemaError, first_rows, offending

__all__ = [
    "TIME_UNIT_DAYS",
    "by_list",
    "prepare_grouped_log",
    "customer_groups",
    "RowsLeftOutWarning",
    "Log",
    "prepare_log",
    "report_left_out",
    "require_columns",
    "unit_days",
    "day_to_timestamp",
    "unique_pairs",
    "distinct_count",
    "PERIODS",
    "check_period",
    "period_numbers",
    "period_first_day",
    "period_labels",
    "last_complete_period",
]

#: Length in days of each ``time_unit`` accepted by :func:`retailkit.rfm_summary`.  "M" and "Y"
#: are mean Julian months and years (never 30-day months); calendar periods live in cohort tables.
TIME_UNIT_DAYS = {"D": 1.0, "W": 7.0, "M": 365.25 / 12, "Y": 365.25}

_EPOCH = pd.Timestamp("1970-01-01")


class RowsLeftOutWarning(UserWarning):
    """Rows were left out of a result; the counts by reason are in ``result.attrs``."""


def unit_days(time_unit: str, func: str) -> float:
    """Days per ``time_unit``, or an :class:`InputError` listing the units there are."""
    if time_unit not in TIME_UNIT_DAYS:
        raise InputError(
            f"{func}: unknown time_unit {time_unit!r}. Use one of {sorted(TIME_UNIT_DAYS)} "
            "(D=1, W=7, M=365.25/12, Y=365.25 days)."
        )
    return TIME_UNIT_DAYS[time_unit]


def day_to_timestamp(day: int) -> pd.Timestamp:
    """The naive midnight timestamp of a day number."""
    return _EPOCH + pd.Timedelta(days=int(day))


def _suggest(name, columns) -> str:
    names = [str(c) for c in columns]
    lower = {c.lower(): c for c in reversed(names)}
    close = [c for c in names if c.lower() == str(name).lower()]
    if not close:
        close = [lower[m] for m in difflib.get_close_matches(str(name).lower(), list(lower), n=3, cutoff=0.6)]
    return f" - did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


def require_columns(df: pd.DataFrame, columns: dict, func: str, table: str = "transactions", hint: str = "") -> None:
    """Raise :class:`SchemaError` naming every missing column, with close names and a fix.

    ``columns`` maps the parameter that names a column (e.g. ``"datetime_col"``) to the column."""
    problems, params = [], []
    for param, col in columns.items():
        if col in df.columns:
            continue
        where = f" ({param})" if param != col else ""
        close = _suggest(col, df.columns)
        if col in (df.index.names or []):
            close += " - it is the index: call .reset_index() first"
        problems.append(f"{col!r}{where}{close}")
        if param != col:
            params.append(param.split("[")[0])
    if problems:
        present = ", ".join(repr(str(c)) for c in df.columns[:20])
        fix = f", or pass the right name as {' / '.join(dict.fromkeys(params))}" if params else ""
        text = "; no column ".join(problems)
        raise SchemaError(
            f"{func}: {table} has no column {text}{'' if text.endswith('?') else '.'} Columns present: "
            f"{present}. Rename the column{fix}.{hint}"
        )


def _customer_codes(s: pd.Series, func: str, table: str) -> tuple[np.ndarray, pd.Index]:
    missing = s.isna().to_numpy()
    if missing.any():
        raise InputError(
            f"{func}: {table} column {s.name!r} has {missing.sum():,} missing customer ids (rows "
            f"{first_rows(s.index[missing])}). Every purchase needs a customer: drop anonymous rows "
            f"first (df.dropna(subset=[{s.name!r}])) or give them ids."
        )
    if pdt.is_integer_dtype(s.dtype):
        vals = s.to_numpy(dtype="int64")
        lo, hi = int(vals.min()), int(vals.max())
        if hi - lo <= max(4 * len(vals), 1 << 16):  # dense ids: no hashing needed
            offset = vals - lo
            present = np.bincount(offset, minlength=hi - lo + 1) > 0
            codes = (np.cumsum(present) - 1)[offset]
            return codes, pd.Index(np.flatnonzero(present) + lo, name=s.name).astype(s.dtype)
    try:
        codes, uniques = pd.factorize(s, sort=True)
    except TypeError:  # mixed, unorderable ids
        codes, uniques = pd.factorize(s, sort=False)
    return codes.astype(np.int64), pd.Index(uniques, name=s.name)


def _to_days(s: pd.Series, func: str, table: str) -> tuple[np.ndarray, object]:
    """Calendar day numbers of a datetime-like column, and its time zone (or None)."""
    col = s.name
    if pdt.is_bool_dtype(s.dtype) or pdt.is_numeric_dtype(s.dtype):
        raise SchemaError(
            f"{func}: {table} column {col!r} holds numbers ({s.dtype}), which are ambiguous as dates. "
            f"Convert it first, e.g. pd.to_datetime(df[{col!r}].astype(str), format='%Y%m%d')."
        )
    if not (pdt.is_datetime64_dtype(s.dtype) or isinstance(s.dtype, pd.DatetimeTZDtype)):
        try:
            with warnings.catch_warnings():  # format inference chatter; failures are reported below
                warnings.simplefilter("ignore", UserWarning)
                parsed = pd.to_datetime(s, errors="coerce")
        except (ValueError, TypeError) as exc:
            raise SchemaError(
                f"{func}: {table} column {col!r} cannot be parsed as dates ({exc}). Parse it yourself "
                f"with pd.to_datetime(df[{col!r}], format=..., utc=...) and pass the result."
            ) from None
        bad = (parsed.isna() & s.notna()).to_numpy()
        if bad.any():
            raise SchemaError(
                f"{func}: {table} column {col!r} has {bad.sum():,} unparseable dates "
                f"{offending(s.index, s.to_numpy(), bad)}. Fix them, or parse the column yourself with "
                f"pd.to_datetime(df[{col!r}], format=...) (all values must share one format)."
            )
        s = parsed
    tz = None
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        tz = s.dt.tz
        s = s.dt.tz_localize(None)  # wall-clock time in the column's own zone
    missing = s.isna().to_numpy()
    if missing.any():
        raise InputError(
            f"{func}: {table} column {col!r} has {missing.sum():,} missing dates (rows "
            f"{first_rows(s.index[missing])}). Drop or fill them first."
        )
    values = s.to_numpy()
    unit, count = np.datetime_data(values.dtype)
    per_day = np.timedelta64(1, "D") // np.timedelta64(count, unit)
    return values.view("i8") // per_day, tz


def _amounts(s: pd.Series, func: str, table: str) -> np.ndarray:
    col = s.name
    if pdt.is_bool_dtype(s.dtype) or not pdt.is_numeric_dtype(s.dtype):
        raise SchemaError(
            f"{func}: {table} column {col!r} must be numeric, got dtype {s.dtype}. "
            f"Convert it with pd.to_numeric(df[{col!r}]) or pass another monetary_col."
        )
    vals = s.to_numpy(dtype="float64", na_value=np.nan)
    bad = ~np.isfinite(vals)
    if bad.any():
        raise InputError(
            f"{func}: {table} column {col!r} has {bad.sum():,} missing or infinite amounts "
            f"{offending(s.index, vals, bad)}. Drop or fill them first."
        )
    neg = vals < 0
    if neg.any():
        raise InputError(
            f"{func}: {table} column {col!r} has {neg.sum():,} negative amounts {offending(s.index, vals, neg)}. "
            "A transaction log holds purchases; net refunds into the order they refund "
            "(rk.transactions(store, net_returns=True) does) instead of logging them as negative rows."
        )
    return vals



def date_argument_day(value, func: str, param: str, *, tz=None) -> int:
    """Day number (days since 1970-01-01) of a date-like argument such as ``observation_end``.
    A time-zone-aware value is first converted to ``tz`` (when given), then its calendar day is
    taken; anything that is not a date raises an error naming the function and the argument."""
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise InputError(f"{func}: {param}={value!r} is not a date ({exc}). Pass e.g. '2024-06-30'.") from None
    if ts is pd.NaT:
        raise InputError(f"{func}: {param} is missing (NaT). Pass a date, e.g. '2024-06-30'.")
    if ts.tz is not None:
        ts = (ts.tz_convert(tz) if tz is not None else ts).tz_localize(None)
    return (ts.normalize() - _EPOCH).days

@dataclass
class Log:
    """A validated transaction log as aligned arrays, with what was left out and why."""

    func: str
    codes: np.ndarray
    days: np.ndarray
    amounts: np.ndarray | None
    customers: pd.Index
    tz: object
    first_day: int
    end_day: int = 0
    keep: np.ndarray | None = None  # rows of the input kept (None: all)
    rows_left_out: dict = field(default_factory=lambda: {"after observation_end": 0})
    customers_left_out: dict = field(default_factory=lambda: {"no purchase up to observation_end": 0})

    @property
    def n(self) -> int:
        return len(self.customers)

    def parse_day(self, value, param: str) -> int:
        """Day number of a date-like argument; must not be before the first date in the data."""
        day = date_argument_day(value, self.func, param, tz=self.tz)
        ts = day_to_timestamp(day)
        if day < self.first_day:
            raise InputError(
                f"{self.func}: {param} {ts.date()} is before the first date in the data "
                f"({day_to_timestamp(self.first_day).date()}). Pass a later {param}."
            )
        return day

    def column(self, df: pd.DataFrame, col) -> np.ndarray:
        """Values of ``df[col]`` on the kept rows."""
        values = df[col].to_numpy()
        return values if self.keep is None else values[self.keep]


def prepare_log(df, func, customer_col, datetime_col, monetary_col, observation_end, *,
                extra_columns: dict | None = None, table: str = "transactions") -> Log:
    """Validate a transaction log, convert it to arrays and cut it at ``observation_end``."""
    if not isinstance(df, pd.DataFrame):
        raise InputError(f"{func}: expected a pandas DataFrame of {table}, got {type(df).__name__}.")
    cols = {"customer_col": customer_col, "datetime_col": datetime_col}
    if monetary_col is not None:
        cols["monetary_col"] = monetary_col
    require_columns(df, {**cols, **(extra_columns or {})}, func, table)
    if df.empty:
        raise InputError(f"{func}: {table} has no rows; there is nothing to summarise.")
    codes, customers = _customer_codes(df[customer_col], func, table)
    days, tz = _to_days(df[datetime_col], func, table)
    amounts = None if monetary_col is None else _amounts(df[monetary_col], func, table)
    log = Log(func, codes, days, amounts, customers, tz, first_day=int(days.min()))
    log.end_day = int(days.max()) if observation_end is None else log.parse_day(observation_end, "observation_end")
    after = days > log.end_day
    n_after = int(after.sum())
    if n_after:
        keep = ~after
        log.keep, log.codes, log.days = keep, codes[keep], days[keep]
        log.amounts = None if amounts is None else amounts[keep]
        present = np.bincount(log.codes, minlength=log.n) > 0
        if not present.all():
            log.codes = (np.cumsum(present) - 1)[log.codes]
            log.customers = customers[present]
            log.customers_left_out["no purchase up to observation_end"] = int((~present).sum())
        log.rows_left_out["after observation_end"] = n_after
    return log


def report_left_out(out, func: str, log: Log, *, stacklevel: int = 3, **attrs):
    """Record observation_end and the left-out counts in ``out.attrs``; warn if any is not zero."""
    out.attrs.update(
        observation_end=day_to_timestamp(log.end_day),
        rows_left_out=dict(log.rows_left_out),
        customers_left_out=dict(log.customers_left_out),
        **attrs,
    )
    rows = [f"{n:,} row{'s' * (n != 1)} ({why})" for why, n in log.rows_left_out.items() if n]
    if rows:
        cust = [f"{n:,} customer{'s' * (n != 1)} ({why})" for why, n in log.customers_left_out.items() if n]
        warnings.warn(
            f"{func}: left out " + ", ".join(rows + cust) + f"; observation_end is "
            f"{day_to_timestamp(log.end_day).date()}. The counts are in result.attrs['rows_left_out'] "
            "and result.attrs['customers_left_out'].",
            RowsLeftOutWarning,
            stacklevel=stacklevel,
        )
    return out


def unique_pairs(codes: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct (code, value) pairs of two integer arrays (codes >= 0), sorted by code, value.

    One sort of a packed integer key (skipped when the key is already sorted, as it is for a log
    sorted by customer and date); uint32 keys when they fit, which sorts faster."""
    if len(codes) == 0:
        return codes[:0], values[:0]
    vmin = int(values.min())
    span = int(values.max()) - vmin + 1
    size = (int(codes.max()) + 1) * span
    if size >= 2**63:  # pragma: no cover - absurdly many customers x days
        pairs = pd.DataFrame({"c": codes, "v": values}).drop_duplicates().sort_values(["c", "v"])
        return pairs["c"].to_numpy(), pairs["v"].to_numpy()
    kind = np.uint32 if size < 2**32 else np.int64
    key = codes.astype(kind) * kind(span)
    key += (values - vmin).astype(kind)
    if not (key[1:] >= key[:-1]).all():
        key.sort()
    new = np.empty(len(key), dtype=bool)
    new[0] = True
    np.not_equal(key[1:], key[:-1], out=new[1:])
    key = key[new]
    pair_codes, pair_values = np.divmod(key, kind(span))
    return pair_codes.astype(np.int64), pair_values.astype(np.int64) + vmin


def distinct_count(codes: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Number of distinct values per code (0..n-1)."""
    return np.bincount(unique_pairs(codes, values)[0], minlength=n)


# ---------------------------------------------------------------------------------- calendar periods
#: Calendar periods: days, ISO weeks (Monday to Sunday), calendar months, quarters and years.
PERIODS = {"D": "D", "W": "W-SUN", "M": "M", "Q": "Q-DEC", "Y": "Y-DEC"}


def check_period(period: str, func: str) -> str:
    if period not in PERIODS:
        raise InputError(
            f"{func}: unknown period {period!r}. Use one of {list(PERIODS)} (D days, W ISO weeks "
            "starting Monday, M calendar months, Q quarters, Y years)."
        )
    return period


def _period_of(days: np.ndarray, period: str) -> np.ndarray:
    if period == "D":
        return days
    if period == "W":
        return (days + 3) // 7  # 1970-01-01 was a Thursday: week 0 starts Monday 1969-12-29
    months = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return {"M": months, "Q": months // 3, "Y": months // 12}[period]


def period_numbers(days: np.ndarray, period: str) -> np.ndarray:
    """Period number of each day number (via a lookup table over the day range: fast on 10M rows)."""
    if len(days) == 0:
        return days.copy()
    lo = int(days.min())
    table = _period_of(np.arange(lo, int(days.max()) + 1, dtype=np.int64), period)
    return table[days - lo]


def period_first_day(p, period: str) -> np.ndarray:
    """Day number of the first day of period number(s) ``p``."""
    p = np.asarray(p, dtype=np.int64)
    if period == "D":
        return p
    if period == "W":
        return p * 7 - 3
    months = {"M": p, "Q": p * 3, "Y": p * 12}[period]
    return months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def period_labels(p, period: str) -> pd.PeriodIndex:
    """The pandas periods of period numbers ``p`` (e.g. ``2025-01``, ``2024-12-30/2025-01-05``)."""
    ordinals = np.asarray(p, dtype=np.int64) + (1 if period == "W" else 0)  # pandas' W-SUN ordinal 1 = our 0
    return pd.PeriodIndex.from_ordinals(ordinals, freq=PERIODS[period])


def last_complete_period(end_day: int, period: str) -> int:
    """The last period number whose every day is on or before ``end_day``."""
    p = int(_period_of(np.array([end_day], dtype=np.int64), period)[0])
    return p if int(period_first_day(p + 1, period)) - 1 == end_day else p - 1


# ------------------------------------------------------------------------ customer groups (by=)
def by_list(by, func: str) -> list:
    if by is None:
        return []
    cols = [by] if isinstance(by, str) or not pdt.is_list_like(by) else list(by)
    if len(set(cols)) != len(cols):
        raise InputError(f"{func}: by lists a column twice ({cols}).")
    return cols


def prepare_grouped_log(df, func, by, customer_col, datetime_col, monetary_col, observation_end, first_col=None):
    """:func:`prepare_log` plus ``by`` columns that describe customers: the log, the ``by`` column
    names and every customer's first day (for :func:`customer_groups`)."""
    by_cols = by_list(by, func)
    extra = {f"by[{i}]" if len(by_cols) > 1 else "by": c for i, c in enumerate(by_cols)}
    if first_col is not None:
        extra["first_col"] = first_col
    log = prepare_log(df, func, customer_col, datetime_col, monetary_col, observation_end, extra_columns=extra)
    clash = {customer_col, datetime_col, monetary_col} & set(by_cols)
    if clash:
        raise InputError(f"{func}: by cannot name the customer, date or amount column ({sorted(clash)}).")
    first = np.full(log.n, np.iinfo(np.int64).max)
    np.minimum.at(first, log.codes, log.days)
    return log, by_cols, first


def customer_groups(df, log: Log, by_cols: list, first: np.ndarray) -> tuple[np.ndarray, pd.DataFrame]:
    """Group number of every customer (by the ``by`` values of their first purchase row)."""
    if not by_cols:
        return np.zeros(log.n, dtype=np.int64), pd.DataFrame(index=range(1))
    at_first = np.flatnonzero(log.days == first[log.codes])
    first_row = np.full(log.n, len(log.days))
    np.minimum.at(first_row, log.codes[at_first], at_first)
    rows = first_row if log.keep is None else np.flatnonzero(log.keep)[first_row]
    keys = df[by_cols].iloc[rows].reset_index(drop=True)
    g = keys.groupby(by_cols, dropna=False, sort=True, observed=True).ngroup().to_numpy()
    _, idx = np.unique(g, return_index=True)
    return g.astype(np.int64), keys.iloc[idx].reset_index(drop=True)
