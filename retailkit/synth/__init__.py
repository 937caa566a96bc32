"""Synthetic store worlds whose truth is known: scenarios, presets and the generator."""

from retailkit.synth.generate import expected_customers, generate
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
from retailkit.synth.truth import retention_effect

__all__ = [
    "generate",
    "expected_customers",
    "retention_effect",
    "Scenario",
    "BGNBD",
    "GammaGammaSpend",
    "Channel",
    "Store",
    "Category",
    "Catalogue",
    "SalesEvent",
    "Seasonality",
    "Retention",
    "Membership",
    "MembershipTerms",
    "Campaign",
    "Loyalty",
    "LoyaltyRollout",
]
