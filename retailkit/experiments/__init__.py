"""Experiments and causal tests: did the campaign or the programme *cause* the change?

Planning
    :func:`sample_size_proportions` (repurchase 20% -> 22% at 5% / 80%: about 6,507 per arm,
    6,508 whole customers), :func:`sample_size_means`, :func:`power_proportions`,
    :func:`power_means`, :func:`power_curve`, :func:`minimum_detectable_effect`.
Reading a randomised test
    :func:`srm_check` first (were the arms the designed size?), then :func:`two_proportions`
    (0/1 outcomes), :func:`two_means` (Welch) or :func:`cuped` (the same with a pre-period
    covariate: narrower intervals).  Each returns an immutable :class:`EffectResult` with
    ``summary()`` and ``to_frame()``.
Whom to target
    :func:`two_model_uplift` (one logistic regression per arm; ``predict`` gives uplift scores),
    :func:`qini_curve`, :func:`targeting_comparison` (churn risk vs uplift at a budget, graded
    against true effects when known), :func:`plot_qini`.
A roll-out that was not randomised: difference-in-differences
    :func:`twfe` (two-way fixed effects, clustered errors), :func:`event_study` and
    :func:`plot_event_study`; under a staggered roll-out with growing effects TWFE is biased
    (:func:`compare_did` shows it; :func:`bacon_decomposition` shows which 2x2 comparisons it is
    made of), :func:`group_time_att` (Callaway & Sant'Anna) is not.
Known-truth data
    :func:`simulate_campaign`, :func:`simulate_rollout`.
"""

from retailkit.experiments._results import EffectResult, Summary
from retailkit.experiments.bacon import BACON_COMPARISONS, bacon_decomposition
from retailkit.experiments.cuped import cuped
from retailkit.experiments.did import DiDResult, event_study, twfe
from retailkit.experiments.plots import plot_event_study, plot_qini
from retailkit.experiments.power import (
    SampleSize,
    minimum_detectable_effect,
    power_curve,
    power_means,
    power_proportions,
    sample_size_means,
    sample_size_proportions,
)
from retailkit.experiments.qini import qini_curve, targeting_comparison
from retailkit.experiments.simulate import simulate_campaign, simulate_rollout
from retailkit.experiments.staggered import GroupTimeResult, compare_did, group_time_att
from retailkit.experiments.twosample import SRMResult, srm_check, two_means, two_proportions
from retailkit.experiments.uplift import TwoModelUplift, two_model_uplift

__all__ = [
    # planning
    "sample_size_proportions",
    "sample_size_means",
    "power_proportions",
    "power_means",
    "power_curve",
    "minimum_detectable_effect",
    "SampleSize",
    # randomised tests
    "srm_check",
    "two_proportions",
    "two_means",
    "cuped",
    "EffectResult",
    "SRMResult",
    # uplift and targeting
    "two_model_uplift",
    "TwoModelUplift",
    "qini_curve",
    "targeting_comparison",
    "plot_qini",
    # difference-in-differences
    "twfe",
    "event_study",
    "group_time_att",
    "compare_did",
    "bacon_decomposition",
    "BACON_COMPARISONS",
    "DiDResult",
    "GroupTimeResult",
    "plot_event_study",
    # known-truth data
    "simulate_campaign",
    "simulate_rollout",
    "Summary",
]
