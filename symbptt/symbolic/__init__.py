"""The symbolic core: the unrolled graph, the three gradient forms, general-T statements.

`unroll` builds the graph for small T and n; `gradients` derives dE/dP directly, by BPTT and as
path sums; `general` and `steplemma` (separate modules) cover every T.

The names below load on first use: importing a submodule (`symbolic.exact` from the cell
algebra, which `unroll` itself imports) must not run `unroll` and `gradients` (an import cycle).
`symbolic.unroll` stays the function, as it was when this package imported it eagerly.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

#: Public name -> the submodule defining it.
_LAZY = {
    "Bptt": "gradients",
    "Path": "gradients",
    "bptt": "gradients",
    "direct": "gradients",
    "jacobian_product": "gradients",
    "path_sums": "gradients",
    "Unrolled": "unroll",
    "unroll": "unroll",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class _Package(types.ModuleType):
    """This package: the import system binding the submodule `unroll` leaves the function."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _LAZY and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
