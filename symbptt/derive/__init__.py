"""The builder layer: a model's derivation computed once, as a `latex.steps.Derivation` value.

`vanilla` (the vanilla RNN in a text's notation) and `gated` (a cell stated as data) call the
algebra (`symbolic/`, `cells/`) and `verify`, and render what they find with the printing
helpers (`latex.notation`, `latex.printer`, `latex.cell_ir`, `latex.statement`); `paths` and
`claims` are their computing sections. The printers (`latex.formats`, `site/`, `display`) only
print the value and never import this package; `site.generate`, the site's build driver, does.

This package is also the public function: `symbptt.derive(model, ...)` calls `derive` below.
Importing a package binds its name in the parent, which would hide a plain function of that
name, so the package itself is callable (`symbptt/__init__.py` imports it for that name).
"""

from __future__ import annotations

import sys
import types
from typing import Any

__all__ = ["derive"]


def derive(model: Any, T: int | None = None, n: int | None = None, **options: Any) -> Any:
    """The derivation of `model` (a name, a path or a Model) as a value that prints itself.

    Options as `symbptt.derive.vanilla.build`: wrt, form ('all', 'general', ...), seed, checks."""
    from symbptt.catalog import load
    from symbptt.derive.vanilla import build

    return build(load(model) if isinstance(model, str) else model, T, n, **options)


class _CallablePackage(types.ModuleType):
    """`symbptt.derive`: this package, and called, the function `derive`."""

    def __call__(
        self, model: Any, T: int | None = None, n: int | None = None, **options: Any
    ) -> Any:
        """The derivation of `model` (a name, a path or a Model): `derive.derive`."""
        return derive(model, T, n, **options)


sys.modules[__name__].__class__ = _CallablePackage
