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


def draw_time_of_day(rng: np.random.Generator, cal: Calendar, n: int) -> np.ndarray:
    """Fractions of a day drawn from the scenario's hour-of-day profile."""
    if cal.uniform_hours:
        return rng.random(n)
    hour = np.searchsorted(cal.hour_cdf, rng.random(n), side="right")
    return (np.minimum(hour, 23) + rng.random(n)) / 24.0


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


def simulate_cohort(rng, cal: Calendar, sc: Scenario, acquired, channel, store) -> Cohort:
    """Draw behaviour and repeat purchases for customers first buying at ``acquired``.

    While alive a customer buys at rate ``lambda * season(t) * loyalty(home store, t)`` per week,
    with ``lambda ~ Gamma(r, alpha)``; after each repeat purchase they drop out with probability
    ``p ~ Beta(a, b)``.  Seasonality and the loyalty programme enter by thinning: candidates arrive
    at rate ``lambda * max(season) * max(loyalty)`` and are kept with probability ``season(t) *
    loyalty(t) / (max(season) * max(loyalty))``, so a stationary world is exactly BG/NBD."""
    n = len(acquired)
    ret = sc.retention
    r = np.array([c.purchase.r for c in sc.channels])[channel]
    alpha = np.array([c.purchase.alpha for c in sc.channels])[channel]
    a = np.array([c.purchase.a for c in sc.channels])[channel]
    b = np.array([c.purchase.b for c in sc.channels])[channel]
    q = np.array([c.spend.q for c in sc.channels])[channel]
    gam = np.array([c.spend.gamma for c in sc.channels])[channel]
    lam = rng.gamma(r, 1.0 / alpha) * ret.rate_multiplier
    p = np.clip(rng.beta(a, b) * ret.dropout_multiplier, 1e-12, 1.0)
    nu = rng.gamma(q, 1.0 / gam)
    lives = rng.geometric(p)  # the repeat purchase after which each customer drops out
    horizon = cal.days
    # The data end at midnight in every store's zone.  A customer whose home store lies west of the
    # online store would otherwise place online orders dated after the end in the online store's
    # zone, so their observation stops at the online store's midnight (a few hours early).
    online = next(i for i, s in enumerate(sc.stores) if s.format == "online")
    ahead = np.maximum(0.0, cal.utc_offset_days[online, horizon] - cal.utc_offset_days[store, horizon])
    end = horizon - ahead
    span = np.maximum(end - acquired, 0.0)  # days left to observe
    bound = cal.season_max * cal.loyalty_max  # the highest intensity multiplier anywhere
    n_cand = rng.poisson(lam * bound * span / 7.0)
    # Candidate times as uniform order statistics on (acquired, horizon), from normalised
    # cumulative sums of exponential spacings: n_cand + 1 spacings per customer.
    m = n_cand + 1
    starts = segment_starts(m)
    cs = np.cumsum(rng.standard_exponential(int(m.sum())))
    before = np.concatenate(([0.0], cs))[starts]
    total = cs[starts + m - 1] - before
    keep = np.ones(len(cs), bool)
    keep[starts + m - 1] = False
    cust = np.repeat(np.arange(n), n_cand)
    frac = (cs[keep] - before[cust]) / total[cust]
    t = acquired[cust] + frac * span[cust]
    if bound > 1.0 or not np.all(cal.season == 1.0):
        day = np.minimum(t.astype(np.int64), horizon - 1)
        accepted = rng.random(len(t)) * bound < cal.season[day] * cal.loyalty[store[cust], day]
        cust, t = cust[accepted], t[accepted]
    # rank of each actual purchase within its customer (cust is sorted, times ascending)
    c_starts = segment_starts(np.bincount(cust, minlength=n))
    rank = np.arange(len(cust)) - c_starts[cust] + 1
    alive_purchase = rank <= lives[cust]
    died = rank == lives[cust]
    cust, t, died = cust[alive_purchase], t[alive_purchase], died[alive_purchase]
    if not cal.uniform_hours:
        # Repeat purchases on later days take the hour-of-day profile; ordering across days is kept.
        later = np.floor(t) > np.floor(acquired[cust])
        room = np.minimum(1.0, end[cust] - np.floor(t))  # the last day may end early (see above)
        t = np.where(later, np.floor(t) + draw_time_of_day(rng, cal, len(t)) * room, t)
    dropout = np.full(n, np.inf)
    # Drop-out time: the last purchase of a customer whose final purchase was their last alive one.
    dead = np.zeros(n, bool)
    dead[cust[died]] = True
    if len(t):
        last = np.full(n, -np.inf)
        np.maximum.at(last, cust, t)
        dropout = np.where(dead, last, np.inf)
    return Cohort(acquired, channel, store, lam, p, nu, dropout, cust, t)
