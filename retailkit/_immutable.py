"""A base for fitted results that must not change after they are made."""

from __future__ import annotations

import numpy as np


class Immutable:
    """Attributes are set once, by :meth:`_freeze`; arrays among them are made read-only.  Any
    later assignment or deletion raises ``AttributeError``."""

    def _freeze(self, **values) -> None:
        for key, val in values.items():
            if isinstance(val, np.ndarray):
                val.setflags(write=False)
            object.__setattr__(self, key, val)

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is immutable; fit again to change it.")

    def __delattr__(self, name):
        raise AttributeError(f"{type(self).__name__} is immutable.")
