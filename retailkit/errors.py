"""Errors a user can cause.  Every one says what is wrong, where, and what to do."""

from __future__ import annotations

import numpy as np

__all__ = [
    "RetailkitError",
    "ScenarioError",
    "SchemaError",
    "DataValidationError",
    "InputError",
    "IdentificationError",
]


class RetailkitError(Exception):
    """Base class of every error retailkit raises on purpose."""


class ScenarioError(RetailkitError, ValueError):
    """A scenario value is invalid (the message names the field path, e.g. ``channels[2].conversion``)."""


class SchemaError(RetailkitError, ValueError):
    """A table lacks a column, has a wrong type, or cannot be parsed."""


class DataValidationError(RetailkitError, ValueError):
    """Tables that parse but break an invariant (duplicate ids, orders before acquisition, ...)."""


class InputError(RetailkitError, ValueError):
    """A function got arguments or data it cannot use (the message names the column and rows)."""


class IdentificationError(RetailkitError, ValueError):
    """The data cannot identify the model (e.g. no repeat buyers)."""


def first_rows(index, n: int = 5) -> str:
    """Format the first ``n`` offending row labels for an error message."""
    labels = list(index[:n])
    more = len(index) - len(labels)
    text = ", ".join(repr(x) for x in labels)
    return text + (f" (and {more} more)" if more > 0 else "")


def plain(x):
    """A numpy scalar as the Python value it holds (so messages show 3, not np.int64(3))."""
    return x.item() if isinstance(x, np.generic) else x


def offending(index, values, mask, n: int = 5) -> str:
    """``{row: value, ...}`` for the first ``n`` rows where ``mask`` is true, for an error message."""
    rows = np.flatnonzero(mask)[:n]
    pairs = ", ".join(f"{plain(index[i])!r}: {plain(values[i])!r}" for i in rows)
    more = int(np.sum(mask)) - len(rows)
    return "{" + pairs + (f", ... and {more:,} more" if more > 0 else "") + "}"
