"""The builder layer: a model's derivation computed once, as a `latex.steps.Derivation` value.

`vanilla` (the vanilla RNN in a text's notation) and `gated` (a cell stated as data) call the
algebra (`symbolic/`, `cells/`) and `verify`, and render what they find with the printing
helpers (`latex.notation`, `latex.printer`, `latex.cell_ir`, `latex.statement`); `paths`,
`gated_paths` and `claims` are their computing sections. The printers (`latex.formats`, `site/`,
`display`) only print the value and never import this package; `site.generate`, the site's
build driver, does. `symbptt.derive(model, ...)` is `derive` below.
"""

from __future__ import annotations

from typing import Any

__all__ = ["derive"]


def derive(model: Any, T: int | None = None, n: int | None = None, **options: Any) -> Any:
    """The derivation of `model` (a name, a path or a Model) as a value that prints itself.

    Options as `symbptt.builders.vanilla.build`: wrt, form ('all', 'general', ...), seed, checks."""
    from symbptt.builders.vanilla import build
    from symbptt.catalog import load

    return build(load(model) if isinstance(model, str) else model, T, n, **options)
