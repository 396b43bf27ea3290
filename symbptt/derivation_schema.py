"""The derivation file's YAML contract: its keys, and the model a file declares.

`model_from` reads a loaded YAML document into a `Model`: every top-level key and symbol name
checked (unknown keys, gated-cell restrictions, clashing names), each mistake naming the file,
the line, the key, what was found and what was expected.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from symbptt.cells.builtin import CELLS
from symbptt.cells.cell import Cell
from symbptt.derivation_cell import user_cell
from symbptt.derivation_fields import (
    _fail,
    _get_or,
    _letter,
    _name,
    _sizes,
    _string,
)
from symbptt.errors import InputError
from symbptt.model import (
    ACTIVATIONS,
    DELTA_CONVENTIONS,
    GATED_CELLS,
    LOSS_AT,
    LOSS_OUTPUT,
    LOSSES,
    OUTPUTS,
    USER_CELL,
    Model,
    Name,
    Notation,
    Role,
)
from symbptt.sourcefile import YamlDoc

__all__ = ["model_from"]

_TOP_KEYS = {
    "name": "a short id such as 'elman'",
    "description": "one line saying what the derivation is",
    "source": "the text the notation comes from",
    "cell": f"one of rnn, {', '.join(GATED_CELLS)}, or a mapping with states and equations",
    "parameters": "a mapping role -> display name",
    "symbols": "a mapping quantity -> display name",
    "activation": f"one of {', '.join(ACTIVATIONS)}",
    "output": f"one of {', '.join(OUTPUTS)}",
    "loss": f"one of {', '.join(LOSSES)}",
    "loss_at": f"one of {', '.join(LOSS_AT)}",
    "delta": f"one of {', '.join(DELTA_CONVENTIONS)}",
    "vectors": "'plain' or 'bold'",
    "term_order": "'input_first' (U x_t + W h_{t-1} + b), 'recurrent_first' (W h_{t-1} + U x_t + b) "
    "or 'bias_first' (b + W h_{t-1} + U x_t)",
    "time_index": "'subscript' (h_t, h_{t-1}) or 'superscript' (h^{(t)}, h^{(t-1)})",
    "activation_derivative": "'prime' (f'(net_t)) or 'output' (1 - (h_t)^2 for tanh, "
    "h_t (.) (1 - h_t) for sigmoid)",
    "gradient_style": "'frac' (dL/dh_t) or 'nabla' (nabla_{h_t} L) for gradients of the loss",
    "state_gradient": "true to also state the total gradient by the state, nabla_{h_t} L, and "
    "its recursion (Goodfellow et al.'s error term)",
    "sizes": "a mapping with T, n, m, k",
    "layout": "'numerator', 'denominator' or 'mixed' (how the text lays out derivatives by vectors)",
}
_SYMBOL_KEYS = (
    "input",
    "state",
    "preactivation",
    "output_preactivation",
    "output",
    "target",
    "loss",
    "step_loss",
    "delta",
    "activation",
    "time",
    "steps",
)


def model_from(doc: YamlDoc) -> Model:
    """The Model a loaded derivation file declares; DerivationFileError naming line and key."""
    data = doc.data
    if not isinstance(data, dict):
        raise _fail(
            doc,
            (),
            f"expected a mapping of keys ({', '.join(_TOP_KEYS)}), found {type(data).__name__}",
        )
    for key in data:
        if key not in _TOP_KEYS:
            raise _fail(doc, (key,), f"unknown key; expected one of {', '.join(_TOP_KEYS)}")
    user = isinstance(data.get("cell"), dict)
    if "cell" in data and not user and data["cell"] not in ("rnn", *GATED_CELLS):
        raise _fail(doc, ("cell",), f"cell is {data['cell']!r}; expected {_TOP_KEYS['cell']}")
    gated = user or data.get("cell") in GATED_CELLS
    for key in ("name", "description") if gated else ("name", "description", "parameters"):
        if key not in data:
            raise _fail(doc, (), f"missing key '{key}' ({_TOP_KEYS[key]})")
    if gated:  # the gated printers write h_t, T and the cell's own equations: refuse, not ignore
        for keypath, value in (
            (("time_index",), "subscript"),
            (("activation_derivative",), "prime"),
            (("gradient_style",), "frac"),
            (("state_gradient",), False),
            (("term_order",), None),
            (("symbols", "steps"), "T"),
        ):
            got = _get_or(data, keypath)
            if got is not None and got != value:
                raise _fail(
                    doc, keypath, f"found {got!r}; a gated cell's derivation does not print this "
                    "notation yet (the cell's equations give its own order; time is h_t, T steps)",
                )  # fmt: skip
    if gated and "parameters" in data:
        raise _fail(
            doc,
            ("parameters",),
            "the cell names its own parameters (U_*, W_*, b_*; shapes under cell.parameters); "
            "leave out this key"
            if user
            else f"cell {data['cell']!r} names its own parameters (U_*, W_*, b_*); leave out this key",
        )
    name = _string(doc, ("name",))
    params: dict[Role, Name] = {}
    raw_params = data.get("parameters", {})
    if not isinstance(raw_params, dict):
        raise _fail(doc, ("parameters",), "expected a mapping role -> name")
    for role_key in raw_params:
        try:
            role = Role(role_key)
        except ValueError:
            roles = ", ".join(r.value for r in Role)
            raise _fail(
                doc, ("parameters", role_key), f"unknown role {role_key!r}; expected one of {roles}"
            ) from None
        params[role] = _name(doc, ("parameters", role_key))
    symbols: dict[str, Any] = {}
    raw_symbols = data.get("symbols", {})
    if not isinstance(raw_symbols, dict):
        raise _fail(doc, ("symbols",), "expected a mapping quantity -> name")
    for key in raw_symbols:
        if key not in _SYMBOL_KEYS:
            raise _fail(
                doc,
                ("symbols", key),
                f"unknown quantity; expected one of {', '.join(_SYMBOL_KEYS)}",
            )
        symbols[key] = (
            _letter(doc, ("symbols", key))
            if key in ("time", "steps")
            else _name(doc, ("symbols", key))
        )
    vectors = data.get("vectors", "plain")
    if vectors not in ("plain", "bold"):
        raise _fail(doc, ("vectors",), f"found {vectors!r}; expected 'plain' or 'bold'")
    term_order = data.get("term_order", "input_first")
    if term_order not in ("input_first", "recurrent_first", "bias_first"):
        raise _fail(
            doc, ("term_order",), f"found {term_order!r}; expected {_TOP_KEYS['term_order']}"
        )
    time_index = data.get("time_index", "subscript")
    if time_index not in ("subscript", "superscript"):
        raise _fail(
            doc, ("time_index",), f"found {time_index!r}; expected {_TOP_KEYS['time_index']}"
        )
    layout = data.get("layout", "")
    if layout not in ("", "numerator", "denominator", "mixed"):
        raise _fail(doc, ("layout",), f"found {layout!r}; expected {_TOP_KEYS['layout']}")
    derivative = data.get("activation_derivative", "prime")
    if derivative not in ("prime", "output"):
        raise _fail(
            doc,
            ("activation_derivative",),
            f"found {derivative!r}; expected {_TOP_KEYS['activation_derivative']}",
        )
    if derivative == "output" and data.get("activation", "tanh") not in ("tanh", "sigmoid"):
        raise _fail(
            doc, ("activation_derivative",), "'output' writes tanh' as 1 - h^2 and sigma' as "
            f"h (1 - h); activation {data.get('activation')!r} has no such form",
        )  # fmt: skip
    style = data.get("gradient_style", "frac")
    if style not in ("frac", "nabla"):
        raise _fail(
            doc, ("gradient_style",), f"found {style!r}; expected {_TOP_KEYS['gradient_style']}"
        )
    state_gradient = data.get("state_gradient", False)
    if not isinstance(state_gradient, bool):
        raise _fail(doc, ("state_gradient",), f"found {state_gradient!r}; expected true or false")
    if state_gradient and data.get("delta") in ("per_step", "step_state"):
        raise _fail(
            doc, ("state_gradient",), f"delta {data.get('delta')!r} already states its own "
            "gradient by the state (or needs the per-step one); use it with delta: net",
        )  # fmt: skip
    notation = Notation(
        parameters=params,
        bold_vectors=vectors == "bold",
        recurrent_first=term_order in ("recurrent_first", "bias_first"),
        bias_first=term_order == "bias_first",
        time_superscript=time_index == "superscript",
        derivative_from_output=derivative == "output",
        nabla=style == "nabla",
        state_gradient=state_gradient,
        layout=layout,
        **symbols,
    )
    _check_distinct_names(doc, notation, has_output=data.get("output", "softmax") != "none")
    sizes = _sizes(doc, gated=gated)
    fields: dict[str, Any] = {}
    for key in ("activation", "output", "loss", "loss_at", "delta", "cell", "source"):
        if key in data and not (key == "cell" and user):
            fields[key] = _string(doc, (key,))
    if gated:  # no head named: a per-step loss L_t(h_t); a loss alone brings its output layer
        loss = fields.setdefault("loss", "cross_entropy" if "output" in fields else "generic")
        fields.setdefault("output", LOSS_OUTPUT.get(loss, "none"))
    if user:
        fields["cell"] = USER_CELL
        fields["user_cell"] = user_cell(doc, name, notation)
    if gated and fields.get("output", "none") != "none":
        cell = fields["user_cell"] if user else CELLS[fields["cell"]]
        notation = _head_letters_apart(doc, notation, cell, raw_symbols)
    try:
        return Model(
            name=name,
            description=_string(doc, ("description",)),
            notation=notation,
            sizes=sizes,
            **fields,
        )
    except InputError as exc:
        key = exc.message.split(" ", 1)[0]
        keypath = (key,) if key in data else ()
        raise _fail(doc, keypath, exc.message) from None


#: Letters the head's pre-activation takes, in order, when the default z is a quantity of the cell.
_HEAD_LETTERS = ("s", "a", "u", "q", "v")


def _head_letters_apart(
    doc: YamlDoc, notation: Notation, cell: Cell, written: Mapping[str, Any]
) -> Notation:
    """The head's letters (z_t = V h_t + c, yhat_t, y_t) distinct from the cell's names: a gate z_t
    and the head's z_t would print alike and be read back as one (the GRU's update gate z_t). An
    unwritten z moves to a free letter; a clash the file wrote is its error."""
    taken = {*cell.quantities, *cell.states, *cell.param_keys}
    for key in ("output_preactivation", "output", "target"):
        got = getattr(notation, key).ascii
        if got not in taken:
            continue
        letter = next((x for x in _HEAD_LETTERS if x not in taken), None)
        if key == "output_preactivation" and key not in written and letter is not None:
            notation = replace(notation, output_preactivation=Name(letter, letter))
            continue
        keypath = ("symbols", key) if key in written else ("output",)
        raise _fail(
            doc,
            keypath,
            f"the head's {key.replace('_', ' ')} {got!r} is also a quantity of the cell; "
            f"name it otherwise under symbols.{key}",
        )
    return notation


def _check_distinct_names(doc: YamlDoc, notation: Notation, *, has_output: bool) -> None:
    """Two quantities with one name would print ambiguously: name both keys and the line."""
    quantities: list[tuple[tuple[str, ...], str]] = [
        (("parameters", role.value), name.ascii) for role, name in notation.parameters.items()
    ]
    used = ["input", "state", "preactivation", "loss", "delta", "activation"]
    if has_output:
        used += ["output_preactivation", "output", "target"]
    quantities += [(("symbols", key), getattr(notation, key).ascii) for key in used]
    seen: dict[str, tuple[str, ...]] = {}
    for keypath, ascii_name in quantities:
        if ascii_name in seen:
            first = seen[ascii_name]
            given = [k for k in (first, keypath) if doc.lines.get(k) is not None]
            if given:  # two defaults never clash; a clash involves something the file wrote
                other = first if given[-1] == keypath else keypath
                raise _fail(
                    doc,
                    given[-1],
                    f"{ascii_name!r} is already the name of '{'.'.join(other)}'"
                    + (f" (line {doc.lines[other]})" if other in doc.lines else " (its default)")
                    + "; every quantity needs its own name",
                )
        seen[ascii_name] = keypath
