"""retailkit: traffic versus reserve, measured on stores whose truth is known.

>>> import retailkit as rk
>>> colors = rk.setup()                      # course theme
>>> store = rk.load_sample("traffic_first")  # a bundled synthetic store
>>> tx = rk.transactions(store)              # one row per order, local dates, refunds netted
>>> summary = rk.rfm_summary(tx)             # frequency, recency, T, monetary_value
>>> bg = rk.clv.BetaGeo.fit(summary)         # models live in rk.clv; plots in rk.plots
"""

from retailkit import churn, clv, experiments, plots, survival
from retailkit._logs import RowsLeftOutWarning
from retailkit._version import __version__
from retailkit.data import StoreData, load_sample, sample_names
from retailkit.errors import (
    DataValidationError,
    IdentificationError,
    InputError,
    RetailkitError,
    ScenarioError,
    SchemaError,
)
from retailkit.metrics.cohorts import (
    cohort_table,
    pivot_cohorts,
    repeat_rate,
    retention_curve,
    returning_revenue_share,
)
from retailkit.metrics.economics import acquisition_costs, order_margins, payback, value_per_customer
from retailkit.metrics.rfm import (
    RFM_SEGMENT_RULES,
    migration_matrix,
    rfm_scores,
    rfm_segments,
    segment_migration,
    segment_summary,
)
from retailkit.metrics.traffic import funnel, gmv_decomposition, gmv_new_vs_returning, kpi_table
from retailkit.prep import calibration_holdout, rfm_summary, transactions
from retailkit.synth import Scenario, generate
from retailkit.theme import setup

__all__ = [
    "__version__",
    # data
    "StoreData",
    "load_sample",
    "sample_names",
    # world
    "Scenario",
    "generate",
    # preparation
    "transactions",
    "rfm_summary",
    "calibration_holdout",
    # traffic lens
    "funnel",
    "gmv_decomposition",
    "gmv_new_vs_returning",
    "kpi_table",
    # reserve lens
    "cohort_table",
    "pivot_cohorts",
    "retention_curve",
    "repeat_rate",
    "returning_revenue_share",
    "RFM_SEGMENT_RULES",
    "rfm_scores",
    "rfm_segments",
    "segment_summary",
    "segment_migration",
    "migration_matrix",
    # unit economics
    "order_margins",
    "acquisition_costs",
    "value_per_customer",
    "payback",
    # models, plots and experiments (namespaces)
    "clv",
    "plots",
    "survival",
    "churn",
    "experiments",
    # theme
    "setup",
    # errors and warnings
    "RetailkitError",
    "ScenarioError",
    "SchemaError",
    "DataValidationError",
    "InputError",
    "IdentificationError",
    "RowsLeftOutWarning",
]
