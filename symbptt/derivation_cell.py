"""A cell stated in a derivation file as LaTeX equations (`cell: {states, equations, ...}`).

`user_cell` checks the mapping's keys and values, naming file:line and key, and hands the
equations to `cells.from_latex.cell_from_latex`.
"""

from __future__ import annotations

from symbptt.cells.cell import SHAPES, Cell
from symbptt.derivation_fields import _fail
from symbptt.model import Notation
from symbptt.sourcefile import YamlDoc

__all__ = ["CELL_KEYS", "user_cell"]


#: The keys of a cell stated in the file (`cell: {states: [h], equations: [...]}`).
CELL_KEYS = {
    "states": "a list of the quantities carried to the next step, readout first ([h] or [h, c])",
    "equations": "a list of LaTeX equations, one per quantity, such as 'h_t = \\tanh(W h_{t-1})'",
    "parameters": "a mapping parameter -> shape, such as {W_z: [n, n], U_z: [n, m], b_z: [n]}",
    "functions": "a mapping written function -> one of the known functions, such as {g: tanh}",
}


def user_cell(doc: YamlDoc, name: str, notation: Notation) -> Cell:
    """The Cell a file states as LaTeX equations under 'cell'; errors name file:line and key."""
    from symbptt.cells.from_latex import CellSource, cell_from_latex, key_of

    raw = doc.data["cell"]
    for key in raw:
        if key not in CELL_KEYS:
            raise _fail(doc, ("cell", key), f"unknown key; expected one of {', '.join(CELL_KEYS)}")
    for key in ("states", "equations"):
        if key not in raw:
            raise _fail(doc, ("cell",), f"missing key '{key}' ({CELL_KEYS[key]})")
    states = raw["states"]
    if not isinstance(states, list) or not states or not all(isinstance(s, str) for s in states):
        raise _fail(doc, ("cell", "states"), f"found {states!r}; expected {CELL_KEYS['states']}")
    eqs = raw["equations"]
    if not isinstance(eqs, list) or not eqs:
        raise _fail(doc, ("cell", "equations"), f"found {eqs!r}; expected {CELL_KEYS['equations']}")
    sources = []
    for i, text in enumerate(eqs):
        if not isinstance(text, str) or not text.strip():
            raise _fail(doc, ("cell", "equations", i), f"found {text!r}; expected an equation")
        sources.append(CellSource(text, doc.where("cell", "equations", i)))
    shapes: dict[str, tuple[str, ...]] = {}
    raw_shapes = raw.get("parameters", {})
    if not isinstance(raw_shapes, dict):
        raise _fail(doc, ("cell", "parameters"), f"expected {CELL_KEYS['parameters']}")
    for key, shape in raw_shapes.items():
        if not isinstance(shape, list) or tuple(shape) not in SHAPES:
            raise _fail(
                doc, ("cell", "parameters", key),
                f"found {shape!r}; expected [n, n] (multiplies a state), [n, m] (multiplies the "
                "input) or [n] (a vector)",
            )  # fmt: skip
        shapes[key_of(str(key))] = tuple(shape)
    functions = raw.get("functions", {})
    if not isinstance(functions, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in functions.items()
    ):
        raise _fail(doc, ("cell", "functions"), f"expected {CELL_KEYS['functions']}")
    return cell_from_latex(
        name,
        sources,
        states,
        time=notation.time,
        input_letter=notation.input.latex,
        shapes=shapes,
        functions=functions,
        where=doc.where("cell"),
        where_states=doc.where("cell", "states"),
        where_shapes=doc.where("cell", "parameters"),
    )
