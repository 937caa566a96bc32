"""retailkit: traffic versus reserve, measured on stores whose truth is known.

>>> import retailkit as rk
>>> rk.setup()                              # course theme
>>> store = rk.load_sample("traffic_first")  # a bundled synthetic store
>>> world = rk.generate("textbook", n_customers=5_000, seed=1)
"""

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
    # theme
    "setup",
    # errors
    "RetailkitError",
    "ScenarioError",
    "SchemaError",
    "DataValidationError",
    "InputError",
    "IdentificationError",
]
