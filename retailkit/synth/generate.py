"""``generate(scenario)``: a scenario in, a validated :class:`~retailkit.data.StoreData` out.

The world is drawn in stages, each vectorised over customers, orders or lines (the only Python
loop is over weekly blocks of days, needed because referral traffic depends on recent orders):

1. traffic and acquisition per channel and day (new-visitor sessions, conversions, spend);
2. each acquired customer's behaviour and repeat purchases (:func:`simulate_cohort`);
3. orders with Gamma-Gamma values, discounts, order lines from category preferences and product
   popularity, returns some days later;
4. sessions: anonymous visits, converting visits linked to their order, browsing by customers;
5. names from Faker pools.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pyarrow as pa

from retailkit.data import StoreData
from retailkit.errors import ScenarioError
from retailkit.schema import empty_table
from retailkit.synth import names as namegen
from retailkit.synth.processes import Calendar, calendar, draw_time_of_day, segment_starts, simulate_cohort
from retailkit.synth.scenario import Scenario

__all__ = ["generate", "expected_customers"]

_BLOCK_DAYS = 7
_PILOT_CUSTOMERS = 20_000


def _rng(seed) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ScenarioError(f"seed: must be a non-negative integer or a numpy Generator, got {seed!r}")
    return np.random.default_rng(int(seed))


def generate(scenario: Scenario | str, *, seed=0, n_customers: int | None = None, progress: bool = True) -> StoreData:
    """Draw a store world from ``scenario`` (a :class:`Scenario` or a preset name).

    Parameters
    ----------
    scenario : Scenario or str
    seed : int or numpy.random.Generator
        Same scenario, seed and library versions give identical data.
    n_customers : int, optional
        Scale all traffic and budgets so that roughly this many customers are acquired (the
        scaled scenario is the one stored with the data).  ``None`` keeps the scenario as is.
    progress : bool
        Show a progress bar.
    """
    sc = Scenario.preset(scenario) if isinstance(scenario, str) else scenario
    if not isinstance(sc, Scenario):
        raise ScenarioError(f"scenario: expected a Scenario or preset name, got {type(scenario).__name__}")
    rng = _rng(seed)
    pilot_rng, main_rng = rng.spawn(2)
    if n_customers is not None:
        if isinstance(n_customers, bool) or not isinstance(n_customers, int | np.integer) or n_customers < 1:
            raise ScenarioError(f"n_customers: must be a positive integer, got {n_customers!r}")
        sc = sc.scaled(n_customers / expected_customers(sc, seed=pilot_rng))
    from tqdm.auto import tqdm  # imported here: tqdm.auto probes the notebook front end when imported

    stages = tqdm(total=5, desc=f"generate {sc.name}", disable=not progress, unit="stage")
    cal = calendar(sc)
    r_acq, r_ord, r_line, r_sess, r_names, r_camp, r_member = main_rng.spawn(7)

    world = _acquire(sc, cal, r_acq)
    # Two threads (numpy releases the GIL in its array work): each stage draws from its own
    # random stream, so stages that do not need each other's results run side by side and the
    # data are the same as drawn one after the other.  The anonymous visits need only the
    # traffic and go first in the sessions' stream; the names need only the customers and
    # products and have a stream of their own.
    with ThreadPoolExecutor(max_workers=1) as pool:
        anonymous = pool.submit(_anonymous_sessions, sc, cal, world, r_sess)
        campaign_draws = _campaigns(sc, cal, world, r_camp)
        stages.update()
        customers, orders, order_of_first = _orders(sc, cal, world, r_ord)
        programmes = _programme_tables(sc, cal, world, campaign_draws, r_member)
        del campaign_draws
        stages.update()
        products = _products(sc, r_line)
        lines, returns = _lines_and_returns(sc, cal, world, orders, products, r_line)
        # the sessions need little of what the stages so far kept: free the rest before the biggest table
        for k in ("local", "value", "rate", "gross_cents", "disc_cents"):
            del orders[k]
        for k in ("acquired", "store", "lam", "p", "nu", "dropout", "rep_customer", "rep_time"):
            del world[k]
        stages.update()
        sessions = _sessions(sc, cal, world, orders, order_of_first, r_sess, anonymous.result())
        del anonymous
        stages.update()
        spend = _spend_table(sc, world)
        orders = orders["table"]
        del world, order_of_first
        stores, customers, products = namegen.attach_names(sc, customers, products, r_names)
    stages.update()
    stages.close()
    seed_value = int(seed) if not isinstance(seed, np.random.Generator) else None
    return StoreData(
        stores=stores, products=products, customers=customers, orders=orders, order_lines=lines,
        returns=returns if returns is not None else empty_table("returns"), sessions=sessions,
        marketing_spend=spend, **programmes, scenario=sc, seed=seed_value,
    )


def expected_customers(scenario: Scenario, *, seed=0) -> float:
    """Customers the scenario acquires over its horizon, estimated by a small pilot run.

    Acquisition, sessions and referrals are all linear in :meth:`Scenario.scaled`'s factor, so the
    pilot runs at a scale giving about 20,000 customers and is scaled back."""
    sc = scenario
    cal = calendar(sc)
    direct = sum(c.conversion * (c.paid_sessions_per_day + c.base_sessions) for c in sc.channels) * sc.horizon_days
    if direct <= 0:
        raise ScenarioError("channels: the scenario acquires no customers (no spend, no base sessions)")
    factor = _PILOT_CUSTOMERS / direct
    world = _acquire(sc.scaled(factor), cal, _rng(seed) if not isinstance(seed, np.random.Generator) else seed)
    return len(world["acquired"]) / factor


# ------------------------------------------------------------------------ stage 1: acquisition
def _acquire(sc: Scenario, cal: Calendar, rng) -> dict:
    """Weekly blocks: traffic per channel and day, conversions, then each new cohort's future."""
    n_ch, days = len(sc.channels), cal.days
    paid = np.array([c.paid_sessions_per_day for c in sc.channels])
    base = np.array([c.base_sessions for c in sc.channels])
    per_order = np.array([c.sessions_per_order for c in sc.channels])
    conv = np.array([c.conversion for c in sc.channels])
    is_store_channel = np.array([c.name == sc.store_channel for c in sc.channels])
    physical = np.array([i for i, s in enumerate(sc.stores) if s.format == "physical"])
    online = next(i for i, s in enumerate(sc.stores) if s.format == "online")
    shares = np.array([sc.stores[i].share for i in physical]) if len(physical) else np.array([])
    orders_per_day = np.zeros(days + 1)
    paid_sessions = np.zeros((n_ch, days), np.int64)
    visitors = np.zeros((n_ch, days), np.int64)
    converted = np.zeros((n_ch, days), np.int64)
    cohorts = []
    for b in range(0, days, _BLOCK_DAYS):
        d = np.arange(b, min(b + _BLOCK_DAYS, days))
        recent = orders_per_day[max(0, b - _BLOCK_DAYS):b].sum() / _BLOCK_DAYS
        s = cal.season[d][None, :]
        p_sess = rng.poisson(s * paid[:, None])
        f_sess = rng.poisson(s * (base + per_order * recent)[:, None])
        n_sess = p_sess + f_sess
        n_conv = rng.binomial(n_sess, conv[:, None])
        paid_sessions[:, d], visitors[:, d], converted[:, d] = p_sess, n_sess, n_conv
        counts = n_conv.ravel()
        ch = np.repeat(np.repeat(np.arange(n_ch), len(d)), counts)
        day = np.repeat(np.tile(d, n_ch), counts)
        acquired = day + draw_time_of_day(rng, cal, len(day))
        store = np.full(len(ch), online)
        in_store = is_store_channel[ch]
        if len(physical) and in_store.any():
            store[in_store] = rng.choice(physical, size=int(in_store.sum()), p=shares / shares.sum())
        co = simulate_cohort(rng, cal, sc, acquired, ch, store)
        cohorts.append(co)
        orders_per_day += np.bincount(np.floor(acquired).astype(np.int64), minlength=days + 1)[: days + 1]
        orders_per_day += np.bincount(np.floor(co.rep_time).astype(np.int64), minlength=days + 1)[: days + 1]
    offset = np.cumsum([0] + [len(c.acquired) for c in cohorts])
    cat = {f: np.concatenate([getattr(c, f) for c in cohorts]) for f in
           ("acquired", "channel", "store", "lam", "p", "nu", "dropout", "rep_time")}
    cat["rep_customer"] = np.concatenate([c.rep_customer + offset[i] for i, c in enumerate(cohorts)])
    cat.update(paid_sessions=paid_sessions, visitors=visitors, converted=converted)
    return cat


# ------------------------------------------------------------------------ campaigns, memberships, loyalty
def _campaigns(sc: Scenario, cal: Calendar, w: dict, rng) -> list[dict]:
    """Randomise each campaign, add the purchases it causes, and keep every customer's true effect.

    A treated customer alive at the start with no purchase of their own in the window buys once
    more with probability ``e`` (the recency-shaped effect).  Drop-out happens only right after a
    purchase, so such a customer stays alive through the window and the extra purchase is
    consistent with the BG/NBD truth.  The true effect on P(buy in the window) is
    ``alive * e * P(no purchase of their own in the window)``, exact given lambda and the season."""
    n = len(w["acquired"])
    rate = np.concatenate([np.zeros((len(sc.stores), 1)), np.cumsum(cal.season * cal.loyalty, axis=1)], axis=1)
    draws = []
    for k, c in enumerate(sc.campaigns):  # a handful of campaigns
        start, win = cal.day_of(c.start_date), c.window_days
        idx = np.flatnonzero(w["acquired"] <= start - c.min_tenure_days)
        last = w["acquired"].copy()
        before = w["rep_time"] < start
        np.maximum.at(last, w["rep_customer"][before], w["rep_time"][before])
        inside = (w["rep_time"] >= start) & (w["rep_time"] < start + win)
        bought = np.zeros(n, bool)
        bought[w["rep_customer"][inside]] = True
        alive = w["dropout"][idx] > start
        recency = np.maximum(start - last[idx], 0.5)
        effect = c.max_effect * np.exp(-0.5 * (np.log(recency / c.peak_recency_days) / c.recency_width) ** 2)
        exposure = (rate[w["store"][idx], start + win] - rate[w["store"][idx], start]) / 7.0
        no_own = np.exp(-w["lam"][idx] * exposure)
        treated = rng.random(len(idx)) < c.treated_share
        extra = treated & alive & ~bought[idx] & (rng.random(len(idx)) < effect)
        t = start + rng.integers(0, win, int(extra.sum())) + draw_time_of_day(rng, cal, int(extra.sum()))
        w["rep_customer"] = np.concatenate([w["rep_customer"], idx[extra]])
        w["rep_time"] = np.concatenate([w["rep_time"], t])
        draws.append({"campaign_id": k + 1, "customer": idx, "treated": treated, "alive": alive,
                      "true_effect": np.where(alive, effect * no_own, 0.0), "start": start, "campaign": c})
    return draws


def _programme_tables(sc: Scenario, cal: Calendar, w: dict, draws: list[dict], rng) -> dict:
    """The tables of the membership programme, the campaigns and the loyalty roll-out."""
    start = pd.Timestamp(sc.start_date)
    online = next(i for i, s in enumerate(sc.stores) if s.format == "online")
    campaigns = pd.DataFrame({
        "campaign_id": [d["campaign_id"] for d in draws],
        "name": [d["campaign"].name for d in draws],
        "started_on": [start + pd.Timedelta(days=d["start"]) for d in draws],
        "ends_on": [start + pd.Timedelta(days=d["start"] + d["campaign"].window_days - 1) for d in draws],
        "treated_share": [d["campaign"].treated_share for d in draws],
        "cost_per_contact": [d["campaign"].cost_per_contact for d in draws],
    })
    assignments = pd.DataFrame({
        "campaign_id": np.concatenate([np.full(len(d["customer"]), d["campaign_id"]) for d in draws] or [[]]),
        "customer_id": np.concatenate([w["customer_id"][d["customer"]] for d in draws] or [[]]),
        "arm": np.concatenate([np.where(d["treated"], "treatment", "control") for d in draws] or [[]]),
        "assigned_at": _timestamps(sc, np.concatenate(
            [_to_utc_days(cal, np.full(len(d["customer"]), online), np.full(len(d["customer"]), float(d["start"])))
             for d in draws] or [[]])),
        "true_effect": np.concatenate([d["true_effect"] for d in draws] or [[]]),
        "true_alive": np.concatenate([d["alive"] for d in draws] or [[]]),
    }).sort_values(["campaign_id", "customer_id"], ignore_index=True)
    # memberships: joined at the first order; yearly renewals with sBG churn theta ~ Beta(alpha, beta)
    m = sc.membership
    share, a, b = (np.zeros(len(sc.channels)) for _ in range(3))
    for t in m.terms:
        i = sc.channel_names.index(t.channel)
        share[i], a[i], b[i] = t.join_share, t.alpha, t.beta
    idx = np.flatnonzero(rng.random(len(w["acquired"])) < share[w["channel"]])
    ch = w["channel"][idx]
    theta = rng.beta(np.where(a[ch] > 0, a[ch], 1.0), np.where(b[ch] > 0, b[ch], 1.0))
    # periods paid before lapsing (at least the first); only whether a member lapses inside the data
    # matters, so astronomically long memberships (theta near 0) are capped just beyond the horizon
    periods = np.minimum(rng.geometric(theta), cal.days // m.period_days + 2)
    day0 = np.floor(w["acquired"][idx]).astype(np.int64)
    lapse = day0 + periods * m.period_days
    ended = lapse < cal.days
    chances = (cal.days - 1 - day0) // m.period_days  # renewal dates seen before the data end
    memberships = pd.DataFrame({
        "customer_id": w["customer_id"][idx],
        "started_on": start + pd.to_timedelta(day0, unit="D"),
        "renewals": np.where(ended, periods - 1, np.minimum(periods - 1, chances)),
        "ended_on": (start + pd.to_timedelta(lapse, unit="D")).where(ended),
        "fee": m.fee,
        "true_churn_p": theta,
    }).sort_values("customer_id", ignore_index=True)
    loyalty = pd.DataFrame({
        "store_id": [r.store_id for r in sc.loyalty.rollouts],
        "started_on": pd.to_datetime([r.start_date for r in sc.loyalty.rollouts]),
        "true_max_uplift": sc.loyalty.max_uplift,
        "true_ramp_months": sc.loyalty.ramp_months,
    })
    return {"memberships": memberships, "campaigns": campaigns, "campaign_assignments": assignments,
            "loyalty_rollouts": loyalty}


def _labels(names, codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """``names[codes]`` as a text column, taken in Arrow (no Python string object per row)."""
    return pd.array(pa.array(np.asarray(names, dtype=object), pa.large_string()).take(codes), dtype="str")


def _to_utc_days(cal: Calendar, store: np.ndarray, local: np.ndarray) -> np.ndarray:
    day = np.clip(np.floor(local).astype(np.int64), 0, cal.days)
    return local - cal.utc_offset_days[store, day]


_UTC_US = pd.DatetimeTZDtype("us", "UTC")


def _timestamps(sc: Scenario, days: np.ndarray) -> pd.DatetimeIndex:
    """UTC timestamps from days since the start, in whole seconds (as an order system logs them)."""
    return _timestamps_from_seconds(sc, np.rint(days * 86_400.0).astype(np.int64))


def _timestamps_from_seconds(sc: Scenario, seconds: np.ndarray) -> pd.DatetimeIndex:
    """UTC timestamps from whole seconds since the start.  ``seconds`` (int64) becomes the
    microsecond buffer of the result (integers given with a UTC dtype are taken as epoch values,
    without a copy), so the caller must not use it afterwards."""
    seconds *= 1_000_000
    seconds += pd.Timestamp(sc.start_date, tz="UTC").value // 1000  # .value is in nanoseconds
    return pd.DatetimeIndex(seconds, dtype=_UTC_US, copy=False)


# ------------------------------------------------------------------------ stage 2: orders
def _orders(sc: Scenario, cal: Calendar, w: dict, rng):
    n = len(w["acquired"])
    acq_utc = _to_utc_days(cal, w["store"], w["acquired"])
    order_cust = np.concatenate([np.arange(n), w["rep_customer"]])
    local = np.concatenate([w["acquired"], w["rep_time"]])
    is_first = np.zeros(len(order_cust), bool)
    is_first[:n] = True
    # where each order is placed: online customers online; store customers mostly in their store
    home = w["store"][order_cust]
    online = next(i for i, s in enumerate(sc.stores) if s.format == "online")
    go_online = rng.random(len(order_cust)) < np.array([s.online_share for s in sc.stores])[home]
    placed = np.where(is_first | (home == online) | ~go_online, home, online)
    utc = _to_utc_days(cal, home, local)
    # order ids increase with time; customer ids with acquisition time
    order_sort = np.lexsort((order_cust, utc))
    cust_sort = np.argsort(acq_utc, kind="stable")
    cust_id = np.empty(n, np.int64)
    cust_id[cust_sort] = np.arange(1, n + 1)
    # Gamma-Gamma order values: z ~ Gamma(p, rate=nu)
    p_shape = np.array([c.spend.p for c in sc.channels])[w["channel"]][order_cust]
    value = rng.gamma(p_shape, 1.0 / w["nu"][order_cust])
    day = np.clip(np.floor(local).astype(np.int64), 0, cal.days - 1)
    first_disc = np.array([c.first_order_discount for c in sc.channels])[w["channel"]][order_cust]
    rate = np.where(is_first, np.maximum(first_disc, cal.event_discount[day]), cal.event_discount[day])
    o = {
        "customer": order_cust[order_sort], "local": local[order_sort], "utc": utc[order_sort],
        "store": placed[order_sort], "value": value[order_sort],
        "rate": rate[order_sort], "is_first": is_first[order_sort],
    }
    o["order_id"] = np.arange(1, len(order_sort) + 1)
    first_pos = np.empty(n, np.int64)
    first_pos[o["customer"][o["is_first"]]] = np.flatnonzero(o["is_first"])
    dropout_utc = np.where(np.isfinite(w["dropout"]), _to_utc_days(cal, w["store"], np.where(
        np.isfinite(w["dropout"]), w["dropout"], 0.0)), np.nan)
    customers = pd.DataFrame({
        "customer_id": cust_id,
        "acquired_at": _timestamps(sc, acq_utc),
        "channel": pd.Categorical.from_codes(w["channel"], categories=list(sc.channel_names)),
        "store_id": _labels([s.store_id for s in sc.stores], w["store"]),
        "true_lambda": w["lam"], "true_p": w["p"], "true_nu": w["nu"],
        "true_dropout_at": _timestamps(sc, np.nan_to_num(dropout_utc)).where(~np.isnan(dropout_utc)),
    }, copy=False).iloc[cust_sort].reset_index(drop=True)
    w["customer_id"] = cust_id
    return customers, o, first_pos


# ------------------------------------------------------------------------ stage 3: products, lines, returns
def _products(sc: Scenario, rng) -> dict:
    cats = sc.catalogue.categories
    counts = np.array([c.n_products for c in cats])
    cat = np.repeat(np.arange(len(cats)), counts)
    level = np.array([c.price_level for c in cats])[cat]
    spread = np.array([c.price_spread for c in cats])[cat]
    price = np.maximum(np.round(level * np.exp(spread * rng.standard_normal(len(cat))), 0) - 0.01, 0.99)
    margin = np.array([c.margin for c in cats])[cat] * rng.uniform(0.85, 1.15, len(cat))
    cost = np.round(price * (1 - np.clip(margin, 0.02, 0.95)), 2)
    before = rng.random(len(cat)) < sc.catalogue.launched_before_start
    before[segment_starts(counts)] = True  # every category sells from day 0
    later = rng.uniform(0, max(sc.horizon_days - 60, 1), len(cat))
    launch = np.where(before, -rng.uniform(0, 3 * 365, len(cat)), later)
    launch = np.floor(launch)
    aging = rng.random(len(cat)) < sc.catalogue.aging_share
    popularity = rng.lognormal(0.0, 1.0, len(cat))
    return {"category": cat, "price": price, "cost": cost, "launch": launch, "aging": aging, "popularity": popularity}


_VALUE_EDGES = np.exp(np.linspace(np.log(0.5), np.log(5000.0), 61))
_FIT_SD = 0.25  # log-scale tolerance of a price to the value a line should carry


def _availability(sc: Scenario, cal: Calendar, prod: dict) -> np.ndarray:
    """Popularity of every product in every calendar month (0 before launch; some age out)."""
    n_months = int(cal.month_index.max()) + 1
    mid = np.array([np.flatnonzero(cal.month_index == m).mean() for m in range(n_months)])
    age = mid[:, None] - prod["launch"][None, :]
    fade = np.where(prod["aging"][None, :], 0.5 ** (np.maximum(age, 0) / sc.catalogue.aging_halflife_days), 1.0)
    return prod["popularity"][None, :] * (age >= 0) * fade


def _price_fit(prod: dict) -> np.ndarray:
    """How well each product's price fits a line value in each value bin: the line takes
    ``round(value / price)`` units (at least one), and the fit falls with the gap between the
    resulting unit price and the list price."""
    centre = np.sqrt(_VALUE_EDGES[1:] * _VALUE_EDGES[:-1])
    ratio = centre[:, None] / prod["price"][None, :]
    gap = np.log(ratio / np.maximum(1, np.rint(ratio)))
    return np.exp(-0.5 * (gap / _FIT_SD) ** 2)


class _StackedChoice:
    """Draw one product per row from many probability tables at once: the tables' cumulative
    sums are stacked with integer offsets, so a row of table ``b`` draws ``b + u`` and takes the
    first position whose stacked cumulative sum reaches it (``searchsorted(side="left")``).

    Instead of a binary search over all tables, a guide table gives for every table and every
    1/``_GUIDE`` of its range the first position reaching ``b + j/_GUIDE``; a draw starts there
    and steps forward over the few values left, which gives exactly the positions a global
    ``searchsorted`` gives (the offsets and cells are exact in floating point)."""

    _GUIDE = 256  # cells per table, a power of two

    def __init__(self, weights: np.ndarray):
        blocks, self.n = weights.reshape(-1, weights.shape[-1]).shape
        w = weights.reshape(blocks, self.n)
        cw = np.cumsum(w, axis=1)
        total = cw[:, -1:]
        self.empty = total[:, 0] <= 0
        self.flat = (cw / np.where(total > 0, total, 1) + np.arange(blocks)[:, None]).ravel()
        m = self._GUIDE
        marks = (np.arange(blocks)[:, None] + np.arange(m + 1) / m).ravel()
        self.guide = np.searchsorted(self.flat, marks, side="left")
        self.stop = np.append(self.flat, np.inf)  # a sentinel ends every walk at the end

    def draw(self, rng, block: np.ndarray) -> np.ndarray:
        m, size = self._GUIDE, len(self.flat)
        q = block + rng.random(len(block))
        # q - block is exact (q lies within [block, block + 1]) and so is its product with m
        pos = self.guide[block * (m + 1) + ((q - block) * m).astype(np.int64)]
        rows = np.flatnonzero(self.stop[pos] < q)
        while len(rows):  # step forward while the stacked cumulative sum is below q
            pos[rows] += 1
            rows = rows[self.stop[pos[rows]] < q[rows]]
        return np.minimum(pos, size - 1) % self.n


def _lines_and_returns(sc: Scenario, cal: Calendar, w: dict, o: dict, prod: dict, rng):
    cats = sc.catalogue.categories
    n_orders = len(o["order_id"])
    n_lines = 1 + rng.poisson(sc.catalogue.extra_lines_mean, n_orders)
    line_order = np.repeat(np.arange(n_orders), n_lines)
    share = rng.standard_exponential(len(line_order))
    share /= np.bincount(line_order, weights=share)[line_order]
    value = o["value"][line_order] * share
    del share
    # A line comes from the customer's favourite category with some probability, else from the
    # whole catalogue (categories weighted by their share of demand); within that, products are
    # drawn by popularity in the order's month and by how well their price fits the line's value.
    mix = np.array([c.popularity for c in cats])
    pop = prod["popularity"]
    in_cat = np.bincount(prod["category"], weights=pop)
    fav = np.minimum(np.searchsorted(np.cumsum(mix) / mix.sum(), rng.random(len(w["acquired"])), side="right"),
                     len(cats) - 1)
    day = np.clip(np.floor(o["local"][line_order]).astype(np.int64), 0, cal.days - 1)
    month = cal.month_index[day]
    del day
    vbin = np.clip(np.searchsorted(_VALUE_EDGES, value) - 1, 0, len(_VALUE_EDGES) - 2)
    avail = _availability(sc, cal, prod)  # (months, products)
    fit = _price_fit(prod)  # (bins, products)
    n_bins, n_cat = fit.shape[0], len(cats)
    general = _StackedChoice(avail[:, None, :] * fit[None, :, :] * (mix[prod["category"]] / in_cat[prod["category"]]))
    sku = general.draw(rng, month * n_bins + vbin)
    own = np.flatnonzero(rng.random(len(line_order)) < sc.catalogue.favourite_share)
    onehot = prod["category"][None, :] == np.arange(n_cat)[:, None]  # (categories, products)
    favourite = _StackedChoice(avail[:, None, None, :] * onehot[None, :, None, :] * fit[None, None, :, :])
    pick = favourite.draw(rng, (month[own] * n_cat + fav[o["customer"][line_order[own]]]) * n_bins + vbin[own])
    del month, vbin
    # keep the favourite's product only where its price fits (a cheap line is not an electronics order)
    ratio = value[own] / prod["price"][pick]
    fits = np.abs(np.log(ratio / np.maximum(1, np.rint(ratio)))) < 2 * _FIT_SD
    sku[own[fits]] = pick[fits]
    # one row per (order, sku): merge repeated products within an order.  Lines are grouped by
    # order already, so a stable sort (timsort) only has to order the products inside each
    # order; stability keeps each sum's terms in row order, as np.unique's inverse would.
    pair = line_order.astype(np.int64) * len(prod["price"]) + sku
    del own, pick, ratio, fits
    sort = np.argsort(pair, kind="stable")
    pair, value = pair[sort], value[sort]
    del sort
    new = np.empty(len(pair), bool)
    new[:1] = True
    np.not_equal(pair[1:], pair[:-1], out=new[1:])
    value = np.bincount(np.cumsum(new) - 1, weights=value)
    uniq = pair[new]
    del pair, new
    line_order, sku = uniq // len(prod["price"]), uniq % len(prod["price"])
    del uniq
    # units and cents, in place where the values allow it: the order lines are the second
    # biggest table, and every temporary of their length is worth freeing early
    qty = value / prod["price"][sku]
    np.rint(qty, out=qty)
    qty = np.maximum(1, qty).astype(np.int64)
    value /= qty
    value *= 100
    np.rint(value, out=value)
    unit_cents = np.maximum(1, value).astype(np.int64)
    del value
    gross_cents = unit_cents * qty
    disc_cents = gross_cents * o["rate"][line_order]
    np.rint(disc_cents, out=disc_cents)
    disc_cents = disc_cents.astype(np.int64)
    paid_cents = gross_cents - disc_cents
    sku_names = np.array([f"SKU-{i + 1:05d}" for i in range(len(prod["price"]))])
    lines = pd.DataFrame({
        "order_id": o["order_id"][line_order], "sku": _labels(sku_names, sku), "quantity": qty,
        "unit_price": unit_cents / 100, "discount_amount": disc_cents / 100, "line_amount": paid_cents / 100,
    }, copy=False)
    del unit_cents
    o["gross_cents"] = np.bincount(line_order, weights=gross_cents, minlength=n_orders)
    del gross_cents
    o["disc_cents"] = np.bincount(line_order, weights=disc_cents, minlength=n_orders)
    del disc_cents
    o["sku_names"] = sku_names
    if sc.returns:
        rate = np.array([c.return_rate for c in cats])[prod["category"][sku]]
        back = rng.random(len(sku)) < rate
        idx = np.flatnonzero(back)
        q_back = 1 + rng.binomial(qty[idx] - 1, 0.5)
        refund = np.rint(paid_cents[idx] * q_back / qty[idx]).astype(np.int64)
        when = o["utc"][line_order[idx]] + 1.0 + rng.gamma(2.0, 4.0, len(idx))
        seen = when < cal.days  # returns after the end of the data are not observed yet
        returns = pd.DataFrame({
            "order_id": o["order_id"][line_order[idx]][seen], "sku": _labels(sku_names, sku[idx][seen]),
            "quantity": q_back[seen], "refund_amount": refund[seen] / 100,
            "returned_at": _timestamps(sc, when[seen]),
        })
    else:
        returns = None
    del line_order, sku, qty, paid_cents
    orders = pd.DataFrame({
        "order_id": o["order_id"], "customer_id": w["customer_id"][o["customer"]],
        "store_id": _labels([s.store_id for s in sc.stores], o["store"]),
        "ordered_at": _timestamps(sc, o["utc"]),
        "gross_amount": o["gross_cents"] / 100, "discount_amount": o["disc_cents"] / 100,
        "amount": (o["gross_cents"] - o["disc_cents"]) / 100,
    }, copy=False)
    o["table"] = orders
    prod["sku_names"] = sku_names
    return lines, returns


# ------------------------------------------------------------------------ stage 4: sessions
def _anonymous_sessions(sc: Scenario, cal: Calendar, w: dict, rng) -> tuple:
    """Part (a) of the sessions: visitors who did not convert.

    It needs only the traffic of the acquisition stage, so :func:`generate` draws it on a second
    thread while the orders and lines are drawn; it is the first use of the sessions' random
    stream, so the rest of :func:`_sessions` continues that stream exactly as if it ran inline.
    Returns the anonymous visits' start (UTC days), channel and pageviews, and the number of
    visits per (channel, day)."""
    ch_names = list(sc.channel_names)
    n_ch = len(ch_names)
    store_ch = ch_names.index(sc.store_channel) if sc.store_channel in ch_names else -1
    pv_mean = np.array([c.pageviews for c in sc.channels])
    physical = np.array([s.format == "physical" for s in sc.stores])
    online = next(i for i, s in enumerate(sc.stores) if s.format == "online")
    store_ids = np.array([i for i in range(len(sc.stores)) if physical[i]] or [online])
    anon = (w["visitors"] - w["converted"]).ravel()
    ch = np.repeat(np.repeat(np.arange(n_ch, dtype=np.int8), cal.days), anon)
    day = np.repeat(np.tile(np.arange(cal.days, dtype=np.int32), n_ch), anon)
    tz_store = rng.choice(store_ids, len(ch)).astype(np.int16)
    tz_store[ch != store_ch] = online
    # a store west of the online store closes its last day at the online store's midnight, as in
    # simulate_cohort, so no visit is dated after the end in the reporting time zone
    ahead = np.maximum(0.0, cal.utc_offset_days[online, cal.days] - cal.utc_offset_days[:, cal.days])
    local = ahead[tz_store]  # -> room = min(1, days - ahead - day), then day + time of day * room
    np.subtract(cal.days, local, out=local)
    local -= day
    np.minimum(local, 1.0, out=local)
    local *= draw_time_of_day(rng, cal, len(ch))
    local += day
    del day
    start = _to_utc_days(cal, tz_store, local)
    del local, tz_store
    # 1 + Poisson(pageviews - 1): rows are grouped by channel, so one draw per channel gives
    # the same numbers as a draw with a mean per row
    pv = np.empty(len(ch), np.int32)
    at = 0
    for c, count in enumerate(anon.reshape(n_ch, cal.days).sum(axis=1)):
        pv[at:at + count] = rng.poisson(max(pv_mean[c] - 1, 0), count)
        at += count
    pv += 1
    return start, ch, pv, anon


def _sessions(sc: Scenario, cal: Calendar, w: dict, o: dict, first_pos: np.ndarray, rng,
              anonymous: tuple) -> pd.DataFrame:
    """Every visit, in order of its start (in whole seconds; ties keep the order drawn).

    ``anonymous`` is :func:`_anonymous_sessions`' result, drawn from ``rng`` before this call.
    Sessions are the biggest table (about 20 per customer), so the intermediate columns are
    narrow (int8 channel, int32 row numbers and pageviews) and freed as soon as they are used."""
    ch_names = list(sc.channel_names)
    store_ch = ch_names.index(sc.store_channel) if sc.store_channel in ch_names else -1
    ret_ch = ch_names.index(sc.returning_channel)
    pv_mean = np.array([c.pageviews for c in sc.channels])
    physical = np.array([s.format == "physical" for s in sc.stores])
    start, ch, pv, anon = anonymous
    del anonymous
    parts = [(start, ch, np.full(len(ch), -1, np.int32), pv, np.full(len(ch), -1, np.int32))]
    del start, ch, pv
    # (b) every order has the visit that converted; first orders through the acquisition channel
    cust = o["customer"]
    ch = np.where(o["is_first"], w["channel"][cust], np.where(physical[o["store"]], store_ch, ret_ch))
    start = o["utc"] - rng.exponential(0.25 / 24, len(cust))  # the visit starts minutes before the order
    acq_utc = o["utc"][first_pos][cust]
    start = np.where(o["is_first"], start, np.maximum(start, acq_utc))  # no visit before acquisition
    pv = (2 + rng.poisson(2 * pv_mean[ch])).astype(np.int32)
    parts.append((start, ch.astype(np.int8), cust.astype(np.int32), pv, np.arange(len(cust), dtype=np.int32)))
    del start, ch, pv
    # (c) customers browsing online in the week before an online repeat order
    rep_online = ~o["is_first"] & ~physical[o["store"]]
    k = rng.poisson(sc.browse_sessions_per_order, len(cust)) * rep_online
    idx = np.repeat(np.arange(len(cust), dtype=np.int32), k)
    del k, rep_online
    start = np.maximum(o["utc"][idx] - rng.uniform(0, 7, len(idx)), acq_utc[idx])
    parts.append((start, np.full(len(idx), ret_ch, np.int8), cust[idx].astype(np.int32),
                  (1 + rng.poisson(pv_mean[ret_ch], len(idx))).astype(np.int32), np.full(len(idx), -1, np.int32)))
    del start, idx, acq_utc
    # one column at a time, each part freed as soon as it is copied
    cols = []
    for j in range(5):
        cols.append(np.concatenate([part[j] for part in parts]))
        parts = [part[:j] + (None,) + part[j + 1:] for part in parts]
    del parts
    start, ch, who, pv, order = cols
    del cols
    pv[ch == store_ch] = 0
    # Sort by the start in whole seconds (what the table stores), with the row number in the low
    # bits: every key is unique, so any sort algorithm gives the same order on every machine,
    # and rows starting in the same second keep the order in which they were drawn.
    n = len(start)
    np.maximum(start, 0.0, out=start)
    start *= 86_400.0
    np.rint(start, out=start)
    key = start.astype(np.int64)
    del start
    bits = max(n.bit_length(), 1)
    if n and int(key.max()).bit_length() + bits > 63:
        raise ScenarioError("horizon_days: too long to sort the sessions by second")
    key <<= bits
    key |= np.arange(n, dtype=np.int64)
    # The anonymous visits come first, grouped by channel and day: sorting each group leaves
    # long sorted runs, which timsort ("stable") merges in far fewer steps than a full sort.
    ends = np.cumsum(anon)
    for a, b in zip(ends - anon, ends, strict=True):
        key[a:b].sort()
    key.sort(kind="stable")
    row = np.empty(n, np.int32)
    np.bitwise_and(key, (1 << bits) - 1, out=row, casting="unsafe")
    key >>= bits
    # the columns one at a time, each source freed as soon as it is used: the table itself is
    # most of the memory the generator needs at its peak
    started_at = _timestamps_from_seconds(sc, key)
    del key
    channel = pd.Categorical.from_codes(ch[row], categories=ch_names)
    del ch
    pageviews = pv[row].astype(np.int64)
    del pv
    who = who[row]
    anonymous = who < 0
    customer_id = w["customer_id"][who]
    del who
    customer_id[anonymous] = 0
    order = order[row]
    del row
    unconverted = order < 0
    order_id = o["order_id"][order]
    del order
    order_id[unconverted] = 0
    return pd.DataFrame({
        "session_id": np.arange(1, n + 1),
        "started_at": started_at,
        "channel": channel,
        "customer_id": pd.arrays.IntegerArray(customer_id, anonymous),
        "pageviews": pageviews,
        "order_id": pd.arrays.IntegerArray(order_id, unconverted),
    }, copy=False)


# ------------------------------------------------------------------------ spend
def _spend_table(sc: Scenario, w: dict) -> pd.DataFrame:
    days = w["paid_sessions"].shape[1]
    dates = pd.date_range(sc.start_date, periods=days, freq="D", unit="us")
    frames = []
    names = list(sc.channel_names) + ["retention"]
    for i, c in enumerate(sc.channels):
        if c.daily_spend > 0:
            frames.append(pd.DataFrame({"spend_date": dates, "channel": c.name,
                                        "spend": np.round(w["paid_sessions"][i] * c.cost_per_session, 2)}))
    if sc.retention.daily_spend > 0:
        frames.append(pd.DataFrame({"spend_date": dates, "channel": "retention",
                                    "spend": round(sc.retention.daily_spend, 2)}))
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["spend_date", "channel", "spend"])
    df["channel"] = pd.Categorical(df["channel"], categories=names)
    return df.sort_values(["spend_date", "channel"], kind="stable").reset_index(drop=True)
