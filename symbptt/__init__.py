r"""symbptt: derive, print and check Backpropagation Through Time in recurrent networks.

The front door for Python users::

    import symbptt
    model = symbptt.load("dl4nlp")                 # a built-in derivation or a .yaml path
    report = symbptt.run_checks(model)             # verify's checks at the model's sizes
    u = symbptt.unroll(model, 3, 2)                # the unrolled SymPy graph
    d = symbptt.derive(model, form="general")      # the derivation, a value (shows in notebooks)
    symbptt.check_answer(r"\frac{\partial E}{\partial V} = \sum_t (\hat{y}_t - y_t) h_t^T", model="dl4nlp")

`symbptt.engine` is the numpy BPTT engine. SymPy-heavy names load on first use, so importing
symbptt (or only the engine) stays fast.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

from symbptt.builders import derive
from symbptt.catalog import load
from symbptt.errors import InputError, SymbpttError

__version__ = "0.1.0"
__all__ = [
    "InputError",
    "SymbpttError",
    "__version__",
    "check_answer",
    "derive",
    "load",
    "run_checks",
    "unroll",
]

_LAZY = {
    "unroll": "symbptt.symbolic.unroll",
    "check_answer": "symbptt.answers.single",
}


def run_checks(model: Any, T: int | None = None, n: int | None = None, *, seed: int = 0) -> Any:
    """Every check of `symbptt verify` for `model` (a name, a path or a Model), as a Report.

    T and n default to the model's own sizes, as on the command line."""
    from symbptt.verify import run_checks as run

    m = load(model) if isinstance(model, str | os.PathLike) else model
    return run(m, m.sizes.T if T is None else T, m.sizes.n if n is None else n, seed=seed)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'symbptt' has no attribute {name!r}")
