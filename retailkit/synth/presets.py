"""The built-in worlds.

``traffic_first`` and ``retention_first`` share everything but strategy: the same stores,
catalogue, horizon, seasonality, channels (with the same customers behind each channel) and the
same total daily budget.  They differ only in how that budget is split between buying traffic
and keeping customers.  ``textbook`` is a stationary world whose purchasing is exactly BG/NBD and
whose spend is exactly Gamma-Gamma, with the parameters Fader, Hardie & Lee estimated on CDNOW.
"""

from __future__ import annotations

from retailkit.synth.scenario import (
    BGNBD,
    Campaign,
    Catalogue,
    Category,
    Channel,
    GammaGammaSpend,
    Loyalty,
    LoyaltyRollout,
    Membership,
    MembershipTerms,
    Retention,
    SalesEvent,
    Scenario,
    Seasonality,
    Store,
)

__all__ = ["PRESETS", "TEXTBOOK_PURCHASE", "TEXTBOOK_SPEND", "DAILY_BUDGET"]

#: The true parameters of the ``textbook`` world: BG/NBD (per week) and Gamma-Gamma, as published
#: for CDNOW by Fader, Hardie & Lee (2005a, 2005b).
TEXTBOOK_PURCHASE = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426)
TEXTBOOK_SPEND = GammaGammaSpend(p=6.25, q=3.74, gamma=15.44)

#: Both strategy presets spend this much per day in total (acquisition + retention).
DAILY_BUDGET = 2400.0

_START = "2023-01-01"
_HORIZON = 2 * 365 + 1  # two full years, 2023-01-01 .. 2025-01-01 (exclusive)

_STORES = (
    Store("online", "online", "America/New_York"),
    Store("nyc_soho", "physical", "America/New_York", share=0.14),
    Store("nyc_brooklyn", "physical", "America/New_York", share=0.10),
    Store("bos_back_bay", "physical", "America/New_York", share=0.08),
    Store("chi_loop", "physical", "America/Chicago", share=0.12),
    Store("chi_wicker_park", "physical", "America/Chicago", share=0.08),
    Store("den_lodo", "physical", "America/Denver", share=0.08),
    Store("phx_downtown", "physical", "America/Phoenix", share=0.08),
    Store("la_grove", "physical", "America/Los_Angeles", share=0.12),
    Store("sf_union_square", "physical", "America/Los_Angeles", share=0.10),
    Store("sea_pike_place", "physical", "America/Los_Angeles", share=0.10),
)

_CATALOGUE = Catalogue(
    categories=(
        Category("grocery", "pantry pack", 6.0, 0.6, 0.25, 70, 0.24, 0.01),
        Category("beauty", "skin care set", 22.0, 0.6, 0.55, 50, 0.15, 0.04),
        Category("home", "home essential", 30.0, 0.7, 0.45, 60, 0.15, 0.06),
        Category("apparel", "garment", 40.0, 0.5, 0.60, 80, 0.18, 0.18),
        Category("shoes", "pair of shoes", 75.0, 0.4, 0.55, 40, 0.09, 0.20),
        Category("electronics", "gadget", 120.0, 0.8, 0.20, 40, 0.07, 0.08),
        Category("toys", "toy", 18.0, 0.6, 0.45, 50, 0.12, 0.05),
    ),
    launched_before_start=0.7,
    aging_share=0.3,
    aging_halflife_days=180.0,
    favourite_share=0.6,
    extra_lines_mean=1.0,
)

_SEASONALITY = Seasonality(
    weekly=(0.95, 0.95, 0.95, 1.0, 1.05, 1.1, 1.0),
    yearly_amplitude=0.15,
    yearly_peak_doy=350,
    events=(
        SalesEvent("spring_sale", 3, 20, 4, 1.6, 0.15),
        SalesEvent("summer_sale", 7, 10, 5, 1.5, 0.15),
        SalesEvent("singles_day", 11, 11, 1, 2.5, 0.20),
        SalesEvent("black_friday", 11, 24, 4, 2.0, 0.25),
    ),
    hourly=(0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.4, 0.7, 0.9, 1.0, 1.1, 1.2,
            1.3, 1.2, 1.1, 1.1, 1.2, 1.3, 1.5, 1.7, 1.8, 1.6, 1.1, 0.5),
)

# Who each channel brings.  Rates are purchases per week while alive; the BG/NBD drop-out
# probability applies after each repeat purchase.  Organic and referral customers came on their
# own or on a friend's word; deal-seekers from the coupon channel rarely come back.
_BEHAVIOUR = {
    "organic": (BGNBD(0.55, 5.0, 0.60, 3.2), GammaGammaSpend(6.0, 4.0, 22.0)),
    "search_ads": (BGNBD(0.40, 5.5, 0.85, 2.6), GammaGammaSpend(6.0, 4.0, 20.0)),
    "social_ads": (BGNBD(0.30, 6.5, 1.10, 2.0), GammaGammaSpend(5.0, 4.0, 18.0)),
    "coupon_subsidy": (BGNBD(0.20, 9.0, 2.00, 1.2), GammaGammaSpend(5.0, 4.5, 14.0)),
    "referral": (BGNBD(0.60, 5.0, 0.55, 3.5), GammaGammaSpend(6.0, 4.0, 22.0)),
    "offline": (BGNBD(0.65, 5.0, 0.60, 3.0), GammaGammaSpend(6.5, 4.0, 24.0)),
}


def _channels(spend: dict[str, float]) -> tuple[Channel, ...]:
    # name: cost per session, conversion, first-order discount, base sessions, sessions per order, pageviews
    traffic = {
        "organic": (1.0, 0.045, 0.0, 400.0, 0.50, 4.0),
        "search_ads": (0.80, 0.035, 0.0, 0.0, 0.0, 3.5),
        "social_ads": (0.55, 0.025, 0.10, 0.0, 0.0, 2.5),
        "coupon_subsidy": (0.50, 0.080, 0.50, 0.0, 0.0, 2.0),
        "referral": (1.0, 0.120, 0.10, 0.0, 0.50, 4.0),
        "offline": (1.5, 0.150, 0.0, 60.0, 0.0, 1.0),
    }
    out = []
    for name, (cps, conv, disc, base, per_order, pv) in traffic.items():
        purchase, spend_model = _BEHAVIOUR[name]
        out.append(Channel(name, spend.get(name, 0.0), cps, conv, disc, purchase, spend_model,
                           base_sessions=base, sessions_per_order=per_order, pageviews=pv))
    return tuple(out)


# Membership renewals per channel (shifted-beta-geometric churn per year).  Organic customers renew
# like the "highend" cohort of Fader & Hardie (2007, alpha=0.668, beta=3.806), deal-seekers worse
# than their "regular" cohort (0.704, 1.182).
_MEMBERSHIP = Membership(
    period_days=365,
    fee=49.0,
    terms=(
        MembershipTerms("organic", 0.10, 0.67, 3.8),
        MembershipTerms("search_ads", 0.06, 0.70, 1.6),
        MembershipTerms("social_ads", 0.04, 0.70, 1.2),
        MembershipTerms("coupon_subsidy", 0.08, 0.80, 0.8),
        MembershipTerms("referral", 0.10, 0.70, 3.5),
        MembershipTerms("offline", 0.12, 0.70, 2.5),
    ),
)

# A randomised win-back e-mail in June 2024, and a loyalty programme launched store by store in
# three waves (two stores never get it).
_CAMPAIGNS = (Campaign("winback_2024", "2024-06-03", window_days=60, treated_share=0.5, min_tenure_days=90,
                       max_effect=0.15, peak_recency_days=120.0, recency_width=0.7, cost_per_contact=0.5),)
_LOYALTY = Loyalty(
    max_uplift=0.3,
    ramp_months=6.0,
    rollouts=tuple(LoyaltyRollout(store, start) for store, start in (
        ("nyc_soho", "2023-07-01"), ("chi_loop", "2023-07-01"), ("la_grove", "2023-07-01"),
        ("nyc_brooklyn", "2024-01-01"), ("den_lodo", "2024-01-01"), ("sf_union_square", "2024-01-01"),
        ("bos_back_bay", "2024-07-01"), ("sea_pike_place", "2024-07-01"),
    )),
)

# The programme takes a year to build: customers acquired in its first months get less of it.
_RETENTION_RESPONSE = dict(max_dropout_reduction=0.9, max_rate_uplift=0.8, half_effect_spend=500.0, ramp_months=12.0)


def traffic_first() -> Scenario:
    spend = {"search_ads": 800.0, "social_ads": 650.0, "coupon_subsidy": 600.0, "offline": 250.0}
    retention = Retention(daily_spend=DAILY_BUDGET - sum(spend.values()), **_RETENTION_RESPONSE)
    return Scenario(
        name="traffic_first",
        description=(
            "Growth bought with capital: most of the budget buys paid sessions and subsidised first "
            "orders. Many sessions, many new customers, many of them deal-seekers who drop out fast."
        ),
        start_date=_START,
        horizon_days=_HORIZON,
        stores=_STORES,
        catalogue=_CATALOGUE,
        channels=_channels(spend),
        seasonality=_SEASONALITY,
        retention=retention,
        membership=_MEMBERSHIP,
        campaigns=_CAMPAIGNS,
        loyalty=_LOYALTY,
    )


def retention_first() -> Scenario:
    spend = {"search_ads": 450.0, "social_ads": 150.0, "coupon_subsidy": 0.0, "offline": 250.0}
    retention = Retention(daily_spend=DAILY_BUDGET - sum(spend.values()), **_RETENTION_RESPONSE)
    return traffic_first().replace(
        name="retention_first",
        description=(
            "The same budget, stores, catalogue and horizon as traffic_first, but less spent on "
            "acquisition and more on keeping customers (service, loyalty): lower drop-out, more "
            "repeat purchases, growth through organic and referral channels."
        ),
        channels=_channels(spend),
        retention=retention,
    )


def textbook() -> Scenario:
    # Every channel brings the same customers, so the population is a single BG/NBD + Gamma-Gamma.
    channels = tuple(
        Channel(name, spend, cps, conv, 0.0, TEXTBOOK_PURCHASE, TEXTBOOK_SPEND,
                base_sessions=base, sessions_per_order=0.0, pageviews=pv)
        for name, spend, cps, conv, base, pv in (
            ("organic", 0.0, 1.0, 0.05, 500.0, 4.0),
            ("search_ads", 600.0, 0.8, 0.035, 0.0, 3.5),
            ("offline", 200.0, 1.5, 0.15, 60.0, 1.0),
        )
    )
    return Scenario(
        name="textbook",
        description=(
            "A stationary world for grading models: no seasonality, no promotions, no returns; "
            "purchasing is exactly BG/NBD (r=0.243, alpha=4.414, a=0.793, b=2.426 per week) and spend "
            "exactly Gamma-Gamma (p=6.25, q=3.74, gamma=15.44), the CDNOW estimates."
        ),
        start_date=_START,
        horizon_days=_HORIZON,
        stores=_STORES,
        catalogue=_CATALOGUE,
        channels=channels,
        seasonality=Seasonality(),
        retention=Retention(),
        returns=False,
    )


PRESETS = {"traffic_first": traffic_first, "retention_first": retention_first, "textbook": textbook}
