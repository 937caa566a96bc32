"""The behavioural processes of the world, vectorised over customers and orders.

Time inside the simulation is a real number of days since the scenario's start, in the local
time of the customer's home store.  ``calendar`` turns a scenario into daily arrays (demand index,
event discount, UTC offsets); ``simulate_cohort`` draws the whole future of customers acquired
together; ``segment_*`` helpers work on flat arrays grouped into consecutive segments.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from retailkit.synth.scenario import Scenario

__all__ = ["Calendar", "calendar", "simulate_cohort", "Cohort", "segment_starts", "draw_time_of_day"]


@dataclass(frozen=True)
class Calendar:
    days: int
    season: np.ndarray  # demand index per local day, mean 1
    season_max: float
    event_discount: np.ndarray  # discount rate per local day
    utc_offset_days: np.ndarray  # (n_stores, days + 1): local minus UTC, in days
    hour_cdf: np.ndarray  # cumulative hour-of-day profile (24,)
    month_index: np.ndarray  # calendar month number (0 = start month) per day
    uniform_hours: bool
    loyalty: np.ndarray  # (n_stores, days): purchase-rate multiplier of each store's customers
    loyalty_max: float

    def day_of(self, date_text: str) -> int:
        """Day index (0 = start) of an ISO date."""
        return date.fromisoformat(date_text).toordinal() - self.start_ordinal

    start_ordinal: int = 0


def calendar(sc: Scenario) -> Calendar:
    start = date.fromisoformat(sc.start_date)
    n = sc.horizon_days
    dates = [start + timedelta(days=int(d)) for d in range(n + 1)]
    sea = sc.seasonality
    dow = np.array([d.weekday() for d in dates[:n]])
    doy = np.array([d.timetuple().tm_yday for d in dates[:n]])
    index = np.asarray(sea.weekly, float)[dow]
    index = index * (1 + sea.yearly_amplitude * np.cos(2 * np.pi * (doy - sea.yearly_peak_doy) / 365.25))
    disc = np.zeros(n)
    ordinal = np.array([d.toordinal() for d in dates[:n]])
    for ev in sea.events:
        for year in range(start.year, dates[-1].year + 1):
            try:
                first = date(year, ev.month, ev.day).toordinal()
            except ValueError:  # 29 February in a common year
                continue
            on = (ordinal >= first) & (ordinal < first + ev.days)
            index = np.where(on, index * ev.intensity, index)
            disc = np.where(on, np.maximum(disc, ev.discount), disc)
    index = index / index.mean()
    offsets = np.empty((len(sc.stores), n + 1))
    for i, store in enumerate(sc.stores):
        tz = ZoneInfo(store.timezone)
        offsets[i] = [datetime(d.year, d.month, d.day, 12, tzinfo=tz).utcoffset().total_seconds() / 86400
                      for d in dates]
    hours = np.asarray(sea.hourly, float)
    months = np.array([(d.year - start.year) * 12 + d.month - start.month for d in dates[:n]])
    loyalty = np.ones((len(sc.stores), n))
    ids = [st.store_id for st in sc.stores]
    for roll in sc.loyalty.rollouts:
        since = np.arange(n) - (date.fromisoformat(roll.start_date).toordinal() - start.toordinal())
        ramp = np.clip(since / (sc.loyalty.ramp_months * 365.25 / 12), 0.0, 1.0)
        loyalty[ids.index(roll.store_id)] = np.where(since >= 0, 1.0 + sc.loyalty.max_uplift * ramp, 1.0)
    return Calendar(
        start_ordinal=start.toordinal(),
        loyalty=loyalty,
        loyalty_max=float(loyalty.max()),
        days=n,
        season=index,
        season_max=float(index.max()),
        event_discount=disc,
        utc_offset_days=offsets,
        hour_cdf=np.cumsum(hours) / hours.sum(),
        month_index=months,
        uniform_hours=bool(np.all(hours == hours[0])),
    )


_HOUR_CELLS = 4096  # a power of two: u * _HOUR_CELLS is exact


def draw_time_of_day(rng: np.random.Generator, cal: Calendar, n: int) -> np.ndarray:
    """Fractions of a day drawn from the scenario's hour-of-day profile."""
    if cal.uniform_hours:
        return rng.random(n)
    u = rng.random(n)
    # hour = searchsorted(hour_cdf, u, side="right"), looked up by the cell of u: all but the
    # few cells holding a step of the cdf give the hour directly; those are searched
    edges = np.arange(_HOUR_CELLS + 1) / _HOUR_CELLS
    first = np.searchsorted(cal.hour_cdf, edges[:-1], side="right").astype(np.int8)  # 0..24
    sure = first == np.searchsorted(cal.hour_cdf, edges[1:], side="left")
    cell = (u * _HOUR_CELLS).astype(np.int16)
    hour = first[cell]
    unsure = np.flatnonzero(~sure[cell])
    del cell
    hour[unsure] = np.searchsorted(cal.hour_cdf, u[unsure], side="right")
    del u, unsure
    np.minimum(hour, 23, out=hour)
    out = rng.random(n)
    out += hour
    out /= 24.0
    return out


def segment_starts(lengths: np.ndarray) -> np.ndarray:
    """Start positions of consecutive segments of the given lengths."""
    ends = np.cumsum(lengths)
    return ends - lengths


@dataclass
class Cohort:
    """Customers acquired in one block of days, with their whole simulated future."""

    acquired: np.ndarray  # local day-time of the first order
    channel: np.ndarray
    store: np.ndarray
    lam: np.ndarray
    p: np.ndarray
    nu: np.ndarray
    dropout: np.ndarray  # local day-time of the drop-out, inf if alive at the end
    rep_customer: np.ndarray  # index (within the cohort) of each repeat purchase
    rep_time: np.ndarray  # local day-time of each repeat purchase


def _event_times(rng, rate_per_week: np.ndarray, start: np.ndarray, stop: np.ndarray):
    """Times of a homogeneous Poisson process with the given weekly rate on (start, stop), one per
    row; returns (row, time) sorted by row and time.  The times are uniform order statistics, made
    from normalised cumulative sums of exponential spacings (n + 1 spacings for n events)."""
    span = np.maximum(stop - start, 0.0)
    n_cand = rng.poisson(rate_per_week * span / 7.0)
    m = n_cand + 1
    starts = segment_starts(m)
    cs = np.cumsum(rng.standard_exponential(int(m.sum())))
    before = np.concatenate(([0.0], cs))[starts]
    total = cs[starts + m - 1] - before
    keep = np.ones(len(cs), bool)
    keep[starts + m - 1] = False
    row = np.repeat(np.arange(len(start)), n_cand)
    frac = (cs[keep] - before[row]) / total[row]
    return row, start[row] + frac * span[row]


def _hour_of_day(rng, cal: Calendar, t: np.ndarray, first_day: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """Give purchases on days after the first one the hour-of-day profile, keeping their day and
    staying before ``stop`` (the end of observation, or a drop-out on the same day)."""
    if cal.uniform_hours:
        return t
    later = np.floor(t) > first_day
    room = np.clip(stop - np.floor(t), 0.0, 1.0)
    return np.where(later, np.floor(t) + draw_time_of_day(rng, cal, len(t)) * room, t)


def simulate_cohort(rng, cal: Calendar, sc: Scenario, acquired, channel, store) -> Cohort:
    """Draw behaviour and repeat purchases for customers first buying at ``acquired``.

    While alive a customer buys at rate ``lambda * season(t)`` per week, with ``lambda ~ Gamma(r,
    alpha)``; after each of these purchases they drop out with probability ``p ~ Beta(a, b)``.
    Seasonality enters by thinning: candidates arrive at rate ``lambda * max(season)`` and are kept
    with probability ``season(t) / max(season)``, so a stationary world is exactly BG/NBD.

    Where the loyalty programme runs, the customer also buys, while alive, at the extra rate
    ``lambda * season(t) * (loyalty(home store, t) - 1)``; these purchases do not count towards
    drop-out.  So the programme multiplies the purchase rate of alive customers by ``loyalty(t)``
    without changing how long they stay, and expected orders are multiplied exactly by it."""
    n = len(acquired)
    ret = sc.retention
    r = np.array([c.purchase.r for c in sc.channels])[channel]
    alpha = np.array([c.purchase.alpha for c in sc.channels])[channel]
    a = np.array([c.purchase.a for c in sc.channels])[channel]
    b = np.array([c.purchase.b for c in sc.channels])[channel]
    q = np.array([c.spend.q for c in sc.channels])[channel]
    gam = np.array([c.spend.gamma for c in sc.channels])[channel]
    # the retention programme as strong as it was when each customer was acquired
    lam = rng.gamma(r, 1.0 / alpha) * ret.rate_multiplier_at(np.floor(acquired))
    p = np.clip(rng.beta(a, b) * ret.dropout_multiplier_at(np.floor(acquired)), 1e-12, 1.0)
    nu = rng.gamma(q, 1.0 / gam)
    lives = rng.geometric(p)  # the repeat purchase after which each customer drops out
    horizon = cal.days
    # The data end at midnight in every store's zone.  A customer whose home store lies west of the
    # online store would otherwise place online orders dated after the end in the online store's
    # zone, so their observation stops at the online store's midnight (a few hours early).
    online = next(i for i, s in enumerate(sc.stores) if s.format == "online")
    ahead = np.maximum(0.0, cal.utc_offset_days[online, horizon] - cal.utc_offset_days[store, horizon])
    end = horizon - ahead
    first_day = np.floor(acquired)
    cust, t = _event_times(rng, lam * cal.season_max, acquired, end)
    if not np.all(cal.season == 1.0):
        day = np.minimum(t.astype(np.int64), horizon - 1)
        accepted = rng.random(len(t)) * cal.season_max < cal.season[day]
        cust, t = cust[accepted], t[accepted]
    # rank of each purchase within its customer (cust is sorted, times ascending)
    c_starts = segment_starts(np.bincount(cust, minlength=n))
    rank = np.arange(len(cust)) - c_starts[cust] + 1
    alive_purchase = rank <= lives[cust]
    died = rank == lives[cust]
    cust, t, died = cust[alive_purchase], t[alive_purchase], died[alive_purchase]
    t = _hour_of_day(rng, cal, t, first_day[cust], end[cust])
    # Drop-out time: the last purchase of a customer whose final purchase was their last alive one.
    dead = np.zeros(n, bool)
    dead[cust[died]] = True
    dropout = np.full(n, np.inf)
    if len(t):
        last = np.full(n, -np.inf)
        np.maximum.at(last, cust, t)
        dropout = np.where(dead, last, np.inf)
    if cal.loyalty_max > 1.0:
        # the programme's extra purchases, only while alive; they never trigger a drop-out
        idx = np.flatnonzero(np.any(cal.loyalty > 1.0, axis=1)[store])  # customers of stores that run it
        bound = cal.season_max * (cal.loyalty_max - 1.0)
        stop = np.minimum(end[idx], dropout[idx])
        row, te = _event_times(rng, lam[idx] * bound, acquired[idx], stop)
        day = np.minimum(te.astype(np.int64), horizon - 1)
        st = store[idx][row]
        accepted = rng.random(len(te)) * bound < cal.season[day] * (cal.loyalty[st, day] - 1.0)
        row, te = row[accepted], te[accepted]
        te = _hour_of_day(rng, cal, te, first_day[idx][row], stop[row])
        cust = np.concatenate([cust, idx[row]])
        t = np.concatenate([t, te])
        order = np.lexsort((t, cust))
        cust, t = cust[order], t[order]
    return Cohort(acquired, channel, store, lam, p, nu, dropout, cust, t)
