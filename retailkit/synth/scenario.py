"""Scenarios: every knob of a synthetic store world, as frozen dataclasses with a JSON round trip.

A :class:`Scenario` says *what* the world is (stores, catalogue, acquisition channels and the
behaviour of the customers each brings, seasonality, the retention programme); :func:`generate`
turns it into data.  Values are checked when an object is built; an invalid value raises
:class:`~retailkit.errors.ScenarioError` naming the field, e.g. ``channels[2].conversion``.

Units: money is in the store currency; purchase rates (``BGNBD.r / BGNBD.alpha``) are purchases
per *week* while alive; ``daily_spend`` is currency per day; ``conversion`` is the share of a
channel's new-visitor sessions that end in a first order.
"""

from __future__ import annotations

import dataclasses
import json
import math
import types
import typing
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from retailkit.errors import ScenarioError

__all__ = [
    "BGNBD",
    "GammaGammaSpend",
    "Channel",
    "Store",
    "Category",
    "Catalogue",
    "SalesEvent",
    "Seasonality",
    "Retention",
    "MembershipTerms",
    "Membership",
    "Campaign",
    "LoyaltyRollout",
    "Loyalty",
    "Scenario",
]


# --------------------------------------------------------------------------- checks
def _positive(obj, name):
    v = getattr(obj, name)
    if not (isinstance(v, int | float) and math.isfinite(v) and v > 0):
        raise ScenarioError(f"{name}: must be a positive number, got {v!r}")


def _non_negative(obj, name):
    v = getattr(obj, name)
    if not (isinstance(v, int | float) and math.isfinite(v) and v >= 0):
        raise ScenarioError(f"{name}: must be a number >= 0, got {v!r}")


def _open_unit(obj, name):
    v = getattr(obj, name)
    if not (isinstance(v, int | float) and 0 < v < 1):
        raise ScenarioError(f"{name}: must be a probability strictly between 0 and 1, got {v!r}")


def _half_open_unit(obj, name):
    v = getattr(obj, name)
    if not (isinstance(v, int | float) and 0 <= v < 1):
        raise ScenarioError(f"{name}: must be a share in [0, 1), got {v!r}")


def _nested(items, label):
    """Re-raise an item's error with its position, e.g. ``channels[2].conversion``."""
    for i, item in enumerate(items):
        try:
            item._check()
        except ScenarioError as exc:
            raise ScenarioError(f"{label}[{i}].{exc}") from None


class _Checked:
    def __post_init__(self):
        self._check()

    def _check(self):  # pragma: no cover - overridden
        pass


# --------------------------------------------------------------------------- components
@dataclass(frozen=True)
class BGNBD(_Checked):
    """BG/NBD behaviour: purchase rate ``lambda ~ Gamma(r, alpha)`` per week while alive and
    drop-out probability ``p ~ Beta(a, b)`` after each repeat purchase."""

    r: float
    alpha: float
    a: float
    b: float

    def _check(self):
        for name in ("r", "alpha", "a", "b"):
            _positive(self, name)

    @property
    def mean_rate(self) -> float:
        """Mean purchases per week while alive."""
        return self.r / self.alpha

    @property
    def mean_dropout(self) -> float:
        """Mean drop-out probability after a repeat purchase."""
        return self.a / (self.a + self.b)


@dataclass(frozen=True)
class GammaGammaSpend(_Checked):
    """Gamma-Gamma spend: order value ``z ~ Gamma(p, rate=nu)`` with ``nu ~ Gamma(q, rate=gamma)``.

    The mean order value is ``p * gamma / (q - 1)`` (defined for ``q > 1``)."""

    p: float
    q: float
    gamma: float

    def _check(self):
        for name in ("p", "q", "gamma"):
            _positive(self, name)
        if self.q <= 1:
            raise ScenarioError(f"q: must exceed 1 so mean spend is defined, got {self.q!r}")

    @property
    def mean_order_value(self) -> float:
        return self.p * self.gamma / (self.q - 1)


@dataclass(frozen=True)
class Channel(_Checked):
    """An acquisition channel: the traffic it brings, what that costs, and who it brings.

    Daily new-visitor sessions have mean ``season(day) * (daily_spend / cost_per_session +
    base_sessions + sessions_per_order * recent daily orders)``; each converts to a first order
    with probability ``conversion``.  Paid sessions (the first term) are what ``marketing_spend``
    records, at ``cost_per_session`` each."""

    name: str
    daily_spend: float
    cost_per_session: float
    conversion: float
    first_order_discount: float
    purchase: BGNBD
    spend: GammaGammaSpend
    base_sessions: float = 0.0
    sessions_per_order: float = 0.0
    pageviews: float = 3.0

    def _check(self):
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise ScenarioError(f"name: must be a short identifier such as 'search_ads', got {self.name!r}")
        _non_negative(self, "daily_spend")
        _positive(self, "cost_per_session")
        _open_unit(self, "conversion")
        _half_open_unit(self, "first_order_discount")
        _non_negative(self, "base_sessions")
        _non_negative(self, "sessions_per_order")
        _positive(self, "pageviews")
        if not isinstance(self.purchase, BGNBD):
            raise ScenarioError("purchase: must be a BGNBD(r, alpha, a, b)")
        if not isinstance(self.spend, GammaGammaSpend):
            raise ScenarioError("spend: must be a GammaGammaSpend(p, q, gamma)")
        for sub in ("purchase", "spend"):
            try:
                getattr(self, sub)._check()
            except ScenarioError as exc:
                raise ScenarioError(f"{sub}.{exc}") from None

    @property
    def paid_sessions_per_day(self) -> float:
        return self.daily_spend / self.cost_per_session


@dataclass(frozen=True)
class Store(_Checked):
    """A store: the online shop or a physical one.  ``share`` weights where offline-acquired
    customers are attached (physical stores only); ``online_share`` is the chance that a
    physical-store customer places a repeat order online."""

    store_id: str
    format: str
    timezone: str
    share: float = 1.0
    online_share: float = 0.25

    def _check(self):
        if self.format not in ("online", "physical"):
            raise ScenarioError(f"format: must be 'online' or 'physical', got {self.format!r}")
        if not isinstance(self.store_id, str) or not self.store_id:
            raise ScenarioError(f"store_id: must be a non-empty string, got {self.store_id!r}")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise ScenarioError(f"timezone: unknown IANA time zone {self.timezone!r}") from None
        _positive(self, "share")
        _half_open_unit(self, "online_share")


@dataclass(frozen=True)
class Category(_Checked):
    """A product category: typical list price, price spread (log-scale sd), gross margin share,
    number of products, share of demand, and the share of order lines returned."""

    name: str
    item: str
    price_level: float
    price_spread: float
    margin: float
    n_products: int
    popularity: float
    return_rate: float

    def _check(self):
        _positive(self, "price_level")
        _non_negative(self, "price_spread")
        _open_unit(self, "margin")
        if not isinstance(self.n_products, int) or self.n_products < 1:
            raise ScenarioError(f"n_products: must be a positive integer, got {self.n_products!r}")
        _positive(self, "popularity")
        _half_open_unit(self, "return_rate")


@dataclass(frozen=True)
class Catalogue(_Checked):
    """Categories plus the product life cycle: ``launched_before_start`` is the share of products
    already on sale at the start (the rest launch during the horizon); ``aging_share`` of products
    fall out of favour, their popularity halving every ``aging_halflife_days`` after launch."""

    categories: tuple[Category, ...]
    launched_before_start: float = 0.7
    aging_share: float = 0.3
    aging_halflife_days: float = 180.0
    favourite_share: float = 0.6
    extra_lines_mean: float = 1.2

    def _check(self):
        if not self.categories:
            raise ScenarioError("categories: at least one category is needed")
        _nested(self.categories, "categories")
        names = [c.name for c in self.categories]
        if len(set(names)) != len(names):
            raise ScenarioError(f"categories: names must be unique, got {names}")
        if not 0 < self.launched_before_start <= 1:
            raise ScenarioError(f"launched_before_start: must be in (0, 1], got {self.launched_before_start!r}")
        _half_open_unit(self, "aging_share")
        _positive(self, "aging_halflife_days")
        _half_open_unit(self, "favourite_share")
        _non_negative(self, "extra_lines_mean")


@dataclass(frozen=True)
class SalesEvent(_Checked):
    """A yearly sales event starting on ``month``/``day`` for ``days`` days: demand multiplied by
    ``intensity`` and orders discounted by ``discount``."""

    name: str
    month: int
    day: int
    days: int
    intensity: float
    discount: float

    def _check(self):
        try:
            date(2024, self.month, self.day)
        except (TypeError, ValueError):
            raise ScenarioError(f"month/day: not a calendar date: {self.month!r}/{self.day!r}") from None
        if not isinstance(self.days, int) or not 1 <= self.days <= 60:
            raise ScenarioError(f"days: must be an integer from 1 to 60, got {self.days!r}")
        _positive(self, "intensity")
        _half_open_unit(self, "discount")


@dataclass(frozen=True)
class Seasonality(_Checked):
    """Demand over time, entering purchases and traffic by thinning: weekday weights (Monday
    first), a yearly cycle peaking on day-of-year ``yearly_peak_doy``, sales events, and an
    hour-of-day profile (store-local).  All ones and no events means a stationary world."""

    weekly: tuple[float, ...] = (1.0,) * 7
    yearly_amplitude: float = 0.0
    yearly_peak_doy: int = 350
    events: tuple[SalesEvent, ...] = ()
    hourly: tuple[float, ...] = (1.0,) * 24

    def _check(self):
        if len(self.weekly) != 7 or any(not (w > 0) for w in self.weekly):
            raise ScenarioError(f"weekly: must hold 7 positive weights (Monday first), got {self.weekly!r}")
        if len(self.hourly) != 24 or any(not (w > 0) for w in self.hourly):
            raise ScenarioError(f"hourly: must hold 24 positive weights, got {self.hourly!r}")
        if not 0 <= self.yearly_amplitude < 1:
            raise ScenarioError(f"yearly_amplitude: must be in [0, 1), got {self.yearly_amplitude!r}")
        if not isinstance(self.yearly_peak_doy, int) or not 1 <= self.yearly_peak_doy <= 366:
            raise ScenarioError(f"yearly_peak_doy: must be a day of year 1..366, got {self.yearly_peak_doy!r}")
        _nested(self.events, "events")

    @property
    def stationary(self) -> bool:
        return (
            len(set(self.weekly)) == 1
            and self.yearly_amplitude == 0
            and not self.events
            and len(set(self.hourly)) == 1
        )


@dataclass(frozen=True)
class Retention(_Checked):
    """Money spent on keeping customers (service, loyalty).  Its effect saturates with spend:
    with ``f = daily_spend / (daily_spend + half_effect_spend)``, a customer's drop-out
    probability is multiplied by ``1 - max_dropout_reduction * f * s`` and purchase rate by
    ``1 + max_rate_uplift * f * s``.  ``s`` is the programme's strength when the customer is
    acquired: it is built up over ``ramp_months`` from the start (``s`` grows linearly from 0 to
    1) and shapes how each customer is served from their first order on, so every customer keeps
    constant BG/NBD parameters (their ``true_lambda`` and ``true_p``).  ``ramp_months=0`` means the
    programme works at full strength from the first day."""

    daily_spend: float = 0.0
    max_dropout_reduction: float = 0.0
    max_rate_uplift: float = 0.0
    half_effect_spend: float = 1.0
    ramp_months: float = 0.0

    def _check(self):
        _non_negative(self, "daily_spend")
        _half_open_unit(self, "max_dropout_reduction")
        _non_negative(self, "max_rate_uplift")
        _positive(self, "half_effect_spend")
        _non_negative(self, "ramp_months")

    @property
    def effect_share(self) -> float:
        return self.daily_spend / (self.daily_spend + self.half_effect_spend)

    @property
    def dropout_multiplier(self) -> float:
        """Drop-out multiplier at full strength (customers acquired after the ramp)."""
        return 1.0 - self.max_dropout_reduction * self.effect_share

    @property
    def rate_multiplier(self) -> float:
        """Purchase-rate multiplier at full strength (customers acquired after the ramp)."""
        return 1.0 + self.max_rate_uplift * self.effect_share

    def rate_multiplier_at(self, days_since_start):
        """Purchase-rate multiplier of customers acquired the given number of days after the start."""
        return 1.0 + self.max_rate_uplift * (self.effect_share * self.strength(days_since_start))

    def dropout_multiplier_at(self, days_since_start):
        """Drop-out multiplier of customers acquired the given number of days after the start."""
        return 1.0 - self.max_dropout_reduction * (self.effect_share * self.strength(days_since_start))

    def strength(self, days_since_start):
        """The programme's strength (0..1) for customers acquired the given number of days after
        the start; a scalar or an array."""
        d = np.asarray(days_since_start, dtype=float)
        if self.ramp_months == 0:
            return np.ones_like(d)
        return np.clip(d / (self.ramp_months * 365.25 / 12), 0.0, 1.0)


@dataclass(frozen=True)
class MembershipTerms(_Checked):
    """Who joins the paid membership and how long they stay, for one acquisition channel: a share
    ``join_share`` of the channel's customers join at their first order; each member's churn
    probability per period is ``theta ~ Beta(alpha, beta)`` (a shifted-beta-geometric process)."""

    channel: str
    join_share: float
    alpha: float
    beta: float

    def _check(self):
        _half_open_unit(self, "join_share")
        _positive(self, "alpha")
        _positive(self, "beta")


@dataclass(frozen=True)
class Membership(_Checked):
    """A paid membership renewed every ``period_days`` (yearly by default) at ``fee`` per period.
    No terms means no membership programme."""

    period_days: int = 365
    fee: float = 49.0
    terms: tuple[MembershipTerms, ...] = ()

    def _check(self):
        if not isinstance(self.period_days, int) or self.period_days < 7:
            raise ScenarioError(f"period_days: must be an integer of at least 7, got {self.period_days!r}")
        _non_negative(self, "fee")
        _nested(self.terms, "terms")


@dataclass(frozen=True)
class Campaign(_Checked):
    """A randomised retention campaign starting on ``start_date``: customers acquired at least
    ``min_tenure_days`` before are assigned to treatment with probability ``treated_share``.

    A treated customer who is alive and would not have bought in the ``window_days`` after the
    start buys once more with probability ``max_effect * exp(-(ln(recency / peak_recency_days) /
    recency_width)^2 / 2)``, where ``recency`` is days since their last purchase: the effect is
    largest in the middle of recency, small for recent buyers and for the long lapsed (who are the
    most at risk).  Each customer's true effect on P(buy in the window) is kept."""

    name: str
    start_date: str
    window_days: int = 60
    treated_share: float = 0.5
    min_tenure_days: int = 90
    max_effect: float = 0.3
    peak_recency_days: float = 120.0
    recency_width: float = 0.7
    cost_per_contact: float = 0.5

    def _check(self):
        try:
            date.fromisoformat(self.start_date)
        except (TypeError, ValueError):
            raise ScenarioError(f"start_date: must be an ISO date 'YYYY-MM-DD', got {self.start_date!r}") from None
        for name in ("window_days", "min_tenure_days"):
            v = getattr(self, name)
            if not isinstance(v, int) or v < 1:
                raise ScenarioError(f"{name}: must be a positive integer, got {v!r}")
        _open_unit(self, "treated_share")
        _half_open_unit(self, "max_effect")
        _positive(self, "peak_recency_days")
        _positive(self, "recency_width")
        _non_negative(self, "cost_per_contact")


@dataclass(frozen=True)
class LoyaltyRollout(_Checked):
    """One store's loyalty-programme launch date."""

    store_id: str
    start_date: str

    def _check(self):
        try:
            date.fromisoformat(self.start_date)
        except (TypeError, ValueError):
            raise ScenarioError(f"start_date: must be an ISO date 'YYYY-MM-DD', got {self.start_date!r}") from None


@dataclass(frozen=True)
class Loyalty(_Checked):
    """A loyalty programme rolled out store by store (stores not listed never get it).  After its
    launch, the purchase rate of the store's customers (home store) while they are alive is
    multiplied by ``1 + max_uplift * min(1, months_since_launch / ramp_months)``: the effect grows
    over the first months.  The extra purchases do not hasten drop-out, so expected orders are
    multiplied by exactly that factor and log of it is the true effect on log expected orders."""

    max_uplift: float = 0.0
    ramp_months: float = 6.0
    rollouts: tuple[LoyaltyRollout, ...] = ()

    def _check(self):
        _non_negative(self, "max_uplift")
        _positive(self, "ramp_months")
        _nested(self.rollouts, "rollouts")
        ids = [r.store_id for r in self.rollouts]
        if len(set(ids)) != len(ids):
            raise ScenarioError(f"rollouts: a store may launch only once, got {ids}")


# --------------------------------------------------------------------------- scenario
@dataclass(frozen=True)
class Scenario(_Checked):
    """A whole world.  Build one from a preset (:meth:`preset`), from JSON (:meth:`from_json`),
    or directly; change one with :meth:`replace`, :meth:`with_channel` or :meth:`scaled`."""

    name: str
    description: str
    start_date: str
    horizon_days: int
    stores: tuple[Store, ...]
    catalogue: Catalogue
    channels: tuple[Channel, ...]
    seasonality: Seasonality = field(default_factory=Seasonality)
    retention: Retention = field(default_factory=Retention)
    membership: Membership = field(default_factory=Membership)
    campaigns: tuple[Campaign, ...] = ()
    loyalty: Loyalty = field(default_factory=Loyalty)
    returns: bool = True
    returning_channel: str = "organic"
    store_channel: str = "offline"
    browse_sessions_per_order: float = 1.5
    currency: str = "USD"
    locale: str = "en_US"

    def _check(self):
        try:
            date.fromisoformat(self.start_date)
        except (TypeError, ValueError):
            raise ScenarioError(f"start_date: must be an ISO date 'YYYY-MM-DD', got {self.start_date!r}") from None
        if not isinstance(self.horizon_days, int) or self.horizon_days < 28:
            raise ScenarioError(f"horizon_days: must be an integer of at least 28, got {self.horizon_days!r}")
        if not self.stores:
            raise ScenarioError("stores: at least one store is needed")
        _nested(self.stores, "stores")
        ids = [s.store_id for s in self.stores]
        if len(set(ids)) != len(ids):
            raise ScenarioError(f"stores: store_id values must be unique, got {ids}")
        if sum(s.format == "online" for s in self.stores) != 1:
            raise ScenarioError("stores: exactly one store must have format 'online'")
        if not self.channels:
            raise ScenarioError("channels: at least one acquisition channel is needed")
        _nested(self.channels, "channels")
        names = [c.name for c in self.channels]
        if len(set(names)) != len(names):
            raise ScenarioError(f"channels: names must be unique, got {names}")
        for label, obj in (("catalogue", self.catalogue), ("seasonality", self.seasonality),
                           ("retention", self.retention)):
            try:
                obj._check()
            except ScenarioError as exc:
                raise ScenarioError(f"{label}.{exc}") from None
        for label, obj in (("membership", self.membership), ("loyalty", self.loyalty)):
            try:
                obj._check()
            except ScenarioError as exc:
                raise ScenarioError(f"{label}.{exc}") from None
        _nested(self.campaigns, "campaigns")
        for i, t in enumerate(self.membership.terms):
            if t.channel not in names:
                raise ScenarioError(f"membership.terms[{i}].channel: {t.channel!r} is not one of the channels {names}")
        for i, r in enumerate(self.loyalty.rollouts):
            if r.store_id not in ids:
                raise ScenarioError(f"loyalty.rollouts[{i}].store_id: {r.store_id!r} is not one of the stores {ids}")
        last = date.fromisoformat(self.start_date).toordinal() + self.horizon_days
        for i, c in enumerate(self.campaigns):
            first = date.fromisoformat(c.start_date).toordinal()
            opens = date.fromisoformat(self.start_date).toordinal()
            if first - c.min_tenure_days < opens or first + c.window_days > last:
                raise ScenarioError(
                    f"campaigns[{i}].start_date: the campaign needs {c.min_tenure_days} days of history before it "
                    f"and its {c.window_days}-day window inside the horizon ({self.start_date} .. {self.end_date})")
        for attr in ("returning_channel",):
            if getattr(self, attr) not in names:
                raise ScenarioError(f"{attr}: {getattr(self, attr)!r} is not one of the channels {names}")
        if self.store_channel not in names and any(s.format == "physical" for s in self.stores):
            raise ScenarioError(f"store_channel: {self.store_channel!r} is not one of the channels {names}")
        if self.browse_sessions_per_order < 0:
            raise ScenarioError(f"browse_sessions_per_order: must be >= 0, got {self.browse_sessions_per_order!r}")
        if not any(c.daily_spend > 0 or c.base_sessions > 0 for c in self.channels):
            raise ScenarioError("channels: no channel has spend or base sessions, so nobody is ever acquired")

    # ----------------------------------------------------------------- derived facts
    @property
    def channel_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.channels)

    def channel(self, name: str) -> Channel:
        for c in self.channels:
            if c.name == name:
                return c
        raise ScenarioError(f"channels: no channel named {name!r}; channels are {list(self.channel_names)}")

    @property
    def daily_budget(self) -> float:
        """Total planned spend per day: acquisition channels plus the retention programme."""
        return sum(c.daily_spend for c in self.channels) + self.retention.daily_spend

    @property
    def acquisition_share(self) -> float:
        """Share of the daily budget spent on buying traffic."""
        return sum(c.daily_spend for c in self.channels) / self.daily_budget if self.daily_budget else 0.0

    @property
    def end_date(self) -> str:
        return str(date.fromordinal(date.fromisoformat(self.start_date).toordinal() + self.horizon_days))

    # ----------------------------------------------------------------- edits
    def replace(self, **changes) -> Scenario:
        """A copy with top-level fields changed (values are checked)."""
        return dataclasses.replace(self, **changes)

    def with_channel(self, name: str, **changes) -> Scenario:
        """A copy with one channel's fields changed, e.g. ``with_channel("search_ads", daily_spend=0)``."""
        self.channel(name)
        channels = []
        for i, c in enumerate(self.channels):
            try:
                channels.append(dataclasses.replace(c, **changes) if c.name == name else c)
            except ScenarioError as exc:
                raise ScenarioError(f"channels[{i}].{exc}") from None
        return dataclasses.replace(self, channels=tuple(channels))

    def with_retention(self, **changes) -> Scenario:
        """A copy with the retention programme's fields changed, e.g. ``with_retention(daily_spend=0)``."""
        try:
            return dataclasses.replace(self, retention=dataclasses.replace(self.retention, **changes))
        except ScenarioError as exc:
            raise ScenarioError(f"retention.{exc}") from None

    def scaled(self, factor: float) -> Scenario:
        """The same world with all traffic and budgets multiplied by ``factor`` (behaviour unchanged).

        Acquisition, sessions and referrals are linear in this factor, so the expected number of
        customers scales with it too; the retention effect is unchanged because its half-effect
        spend scales alongside its budget."""
        if not (isinstance(factor, int | float) and factor > 0 and math.isfinite(factor)):
            raise ScenarioError(f"factor: must be a positive number, got {factor!r}")
        channels = tuple(
            dataclasses.replace(c, daily_spend=c.daily_spend * factor, base_sessions=c.base_sessions * factor)
            for c in self.channels
        )
        ret = dataclasses.replace(
            self.retention,
            daily_spend=self.retention.daily_spend * factor,
            half_effect_spend=self.retention.half_effect_spend * factor,
        )
        return dataclasses.replace(self, channels=channels, retention=ret)

    # ----------------------------------------------------------------- JSON
    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def to_json(self, *, indent: int | None = 2) -> str:
        """The scenario as JSON; :meth:`from_json` gives back an equal scenario."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: dict) -> Scenario:
        return _build(cls, data, "")

    @classmethod
    def from_json(cls, text: str) -> Scenario:
        """Parse a scenario from JSON text; errors name the offending field or position."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ScenarioError(
                f"malformed scenario JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
        if not isinstance(data, dict):
            raise ScenarioError(f"scenario JSON must be an object, got {type(data).__name__}")
        return cls.from_dict(data)

    # ----------------------------------------------------------------- presets
    @staticmethod
    def presets() -> tuple[str, ...]:
        """Names of the built-in scenarios."""
        from retailkit.synth.presets import PRESETS

        return tuple(PRESETS)

    @classmethod
    def preset(cls, name: str) -> Scenario:
        """A built-in scenario: ``traffic_first``, ``retention_first`` or ``textbook``."""
        from retailkit.synth.presets import PRESETS

        if name not in PRESETS:
            raise ScenarioError(f"unknown preset {name!r}; choose one of {list(PRESETS)}")
        return PRESETS[name]()


# --------------------------------------------------------------------------- dict -> dataclass
def _build(cls, data, path):
    if not isinstance(data, dict):
        raise ScenarioError(f"{path or 'scenario'}: expected an object, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ScenarioError(f"{path or 'scenario'}: unknown field(s) {unknown}; known fields are {list(fields)}")
    kwargs = {}
    for name, f in fields.items():
        here = f"{path}.{name}" if path else name
        if name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ScenarioError(f"{here}: missing required field")
            continue
        kwargs[name] = _convert(hints[name], data[name], here)
    try:
        return cls(**kwargs)
    except ScenarioError as exc:
        raise ScenarioError(f"{path + '.' if path else ''}{exc}") from None


def _convert(tp, value, path):
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp):
        return _build(tp, value, path)
    if origin is tuple:
        (item_tp, _ellipsis) = typing.get_args(tp)
        if not isinstance(value, list | tuple):
            raise ScenarioError(f"{path}: expected a list, got {type(value).__name__}")
        return tuple(_convert(item_tp, v, f"{path}[{i}]") for i, v in enumerate(value))
    if origin in (typing.Union, types.UnionType):
        raise TypeError(f"unsupported field type {tp}")  # pragma: no cover
    if tp is bool:
        if not isinstance(value, bool):
            raise ScenarioError(f"{path}: expected true or false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ScenarioError(f"{path}: expected an integer, got {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ScenarioError(f"{path}: expected a number, got {value!r}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ScenarioError(f"{path}: expected a string, got {value!r}")
        return value
    raise TypeError(f"unsupported field type {tp}")  # pragma: no cover
