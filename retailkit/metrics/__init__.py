"""Summaries: the traffic lens, the reserve lens (cohorts, retention, repeat rate), RFM and unit economics."""

from retailkit.metrics.cohorts import (
    cohort_table,
    pivot_cohorts,
    repeat_rate,
    retention_curve,
    returning_revenue_share,
)
from retailkit.metrics.economics import acquisition_costs, order_margins, payback, value_per_customer
from retailkit.metrics.rfm import (
    NOT_YET_ACQUIRED,
    RFM_SEGMENT_RULES,
    migration_matrix,
    rfm_scores,
    rfm_segments,
    segment_migration,
    segment_summary,
)
from retailkit.metrics.traffic import funnel, gmv_decomposition, gmv_new_vs_returning, kpi_table, reporting_timezone

__all__ = [
    "funnel",
    "gmv_decomposition",
    "gmv_new_vs_returning",
    "kpi_table",
    "reporting_timezone",
    "order_margins",
    "acquisition_costs",
    "value_per_customer",
    "payback",
    "cohort_table",
    "pivot_cohorts",
    "retention_curve",
    "repeat_rate",
    "returning_revenue_share",
    "RFM_SEGMENT_RULES",
    "NOT_YET_ACQUIRED",
    "rfm_scores",
    "rfm_segments",
    "segment_summary",
    "segment_migration",
    "migration_matrix",
]
