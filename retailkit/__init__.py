"""retailkit: traffic versus reserve, measured on stores whose truth is known."""

from retailkit._version import __version__
from retailkit.errors import (
    DataValidationError,
    IdentificationError,
    InputError,
    RetailkitError,
    ScenarioError,
    SchemaError,
)

__all__ = [
    "__version__",
    "RetailkitError",
    "ScenarioError",
    "SchemaError",
    "DataValidationError",
    "InputError",
    "IdentificationError",
]
