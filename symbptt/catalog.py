"""Derivation files: the YAML contract, loading with precise errors, and the built-in list.

A derivation file declares a model in one text's notation; no Python is needed to add one.
Every mistake is reported with the file, the line, the key, what was found and what was expected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from symbptt.cells.cell import SHAPES, Cell
from symbptt.errors import DerivationFileError, InputError
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
    Sizes,
)
from symbptt.resources import data_root
from symbptt.sourcefile import YamlDoc, load_yaml

#: Shipped derivations: the checkout's derivations/ folder, or the wheel's copy of it.
DERIVATIONS_DIR = data_root() / "derivations"
#: Default sizes a file may set: what the commands run at them (verify's unrolled checks,
#: derive's full expansion, in seconds); beyond them a file fails at load, not in a command.
SIZE_LIMITS = {"T": (1, 6), "n": (1, 5), "m": (1, 8), "k": (1, 8)}
#: verify unrolls about n^(T+1) products per entry and allows at most this many.
UNROLL_BUDGET = 4096
#: A gated cell's checks unroll at most T = 3 steps of n = 2 units.
GATED_SIZE_LIMITS = {"T": (1, 3), "n": (1, 2)}

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
#: A time letter or a number of steps: one letter (t, T) or one Greek letter (\tau).
_LETTER = re.compile(r"[A-Za-z]|\\[A-Za-z]+")


@dataclass(frozen=True)
class Entry:
    """One derivation file: its model and where it came from."""

    name: str
    description: str
    path: Path
    model: Model


def builtin_paths() -> list[Path]:
    """The shipped derivation files, sorted by name."""
    return sorted(DERIVATIONS_DIR.glob("*.yaml"))


def builtin_names(*, gated: bool = False) -> list[str]:
    """The names of the shipped vanilla derivations (gated=True: the gated ones too).

    Gated derivations (cell: lstm, gru, ...) print a different document
    (`derive.gated`: no small-T expansions), so callers that walk the vanilla
    document's sections ask for the vanilla ones.
    """
    return [p.stem for p in builtin_paths() if gated or not _is_gated_file(p)]


def _is_gated_file(path: Path) -> bool:
    """True when the file's 'cell' key names a gated cell."""
    data = load_yaml(path).data
    if not isinstance(data, dict):
        return False
    cell = data.get("cell")
    return isinstance(cell, dict) or cell in GATED_CELLS


def list_entries() -> list[Entry]:
    """Every shipped derivation, loaded and validated."""
    return [load_file(p) for p in builtin_paths()]


#: Example files of cells stated as LaTeX (derivations/examples/): loaded by path, on the site.
EXAMPLES_DIR = DERIVATIONS_DIR / "examples"


def example_entries() -> list[Entry]:
    """The shipped example files (derivations/examples/*.yaml), loaded and validated."""
    return [load_file(p) for p in sorted(EXAMPLES_DIR.glob("*.yaml"))]


def load(name_or_path: str | Path) -> Model:
    """A model from a built-in name ('dl4nlp') or a path to a derivation file."""
    return load_entry(name_or_path).model


def load_entry(name_or_path: str | Path) -> Entry:
    """Like `load`, keeping the file's path and description."""
    candidate = DERIVATIONS_DIR / f"{name_or_path}.yaml"
    if isinstance(name_or_path, str) and "/" not in name_or_path and candidate.is_file():
        return load_file(candidate)
    path = Path(name_or_path)
    if path.is_file():
        return load_file(path)
    shipped = _shipped(path)
    if shipped is not None:  # derivations/examples/mgu.yaml from any folder, as the docs write it
        return load_file(shipped)
    if path.is_dir():
        raise InputError(f"{path} is a directory; expected a derivation file (.yaml)")
    if isinstance(name_or_path, str) and not looks_like_path(name_or_path):
        raise InputError(
            f"unknown model {name_or_path!r}; built-in names are "
            f"{', '.join(sorted(builtin_names(gated=True)))}, or give a path to a .yaml derivation file"
        )
    raise InputError(
        f"{name_or_path}: file not found (expected a derivation file or a built-in name)"
    )


def _shipped(path: Path) -> Path | None:
    """A relative path that names a shipped file (derivations/examples/x.yaml, examples/x)."""
    if path.is_absolute():
        return None
    parts = path.parts[1:] if path.parts[:1] == ("derivations",) else path.parts
    if not parts or ".." in parts:
        return None
    for candidate in (DERIVATIONS_DIR.joinpath(*parts),
                      DERIVATIONS_DIR.joinpath(*parts).with_suffix(".yaml")):  # fmt: skip
        if candidate.is_file():
            return candidate
    return None


def looks_like_path(ref: str) -> bool:
    """True for 'dir/x', 'x.yaml', './x': a file reference rather than a built-in name."""
    return any(c in ref for c in "/\\") or ref.startswith(".") or ref.endswith((".yaml", ".yml"))


def load_file(path: str | Path) -> Entry:
    """Load and validate one derivation file."""
    doc = load_yaml(path)
    try:
        model = _model_from(doc)
    except InputError as exc:
        if isinstance(exc, DerivationFileError):
            raise
        raise DerivationFileError(exc.message, where=exc.where or str(path)) from None
    return Entry(model.name, model.description, Path(path), model)


def _fail(doc: YamlDoc, keypath: tuple[Any, ...], message: str) -> DerivationFileError:
    key = ".".join(str(k) for k in keypath)
    return DerivationFileError(
        f"key '{key}': {message}" if key else message, where=doc.where(*keypath)
    )


def _model_from(doc: YamlDoc) -> Model:
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


def _string(doc: YamlDoc, keypath: tuple[Any, ...]) -> str:
    value = _get(doc.data, keypath)
    if not isinstance(value, str) or not value.strip():
        raise _fail(doc, keypath, f"found {value!r}; expected a non-empty string")
    return value


def _letter(doc: YamlDoc, keypath: tuple[Any, ...]) -> str:
    """symbols.time or symbols.steps: one letter or one Greek letter, the index printers write."""
    value = _string(doc, keypath)
    if not _LETTER.fullmatch(value):
        hint = (
            "; for h^{(t)} write time_index: superscript and keep time: t"
            if keypath[-1] == "time" and ("(" in value or "^" in value)
            else ""
        )
        raise _fail(
            doc, keypath, f"found {value!r}; expected one letter such as 't' or '\\tau' (printed "
            f"as the index of h_t and in sums){hint}",
        )  # fmt: skip
    return value


def _name(doc: YamlDoc, keypath: tuple[Any, ...]) -> Name:
    value = _get(doc.data, keypath)
    if isinstance(value, str) and value.strip():
        _check_ascii_id(doc, keypath, value)
        return Name.of(value)
    if isinstance(value, dict) and set(value) <= {"name", "latex"} and "name" in value:
        ascii_name = _string(doc, (*keypath, "name"))
        _check_ascii_id(doc, (*keypath, "name"), ascii_name)
        latex = _string(doc, (*keypath, "latex")) if "latex" in value else None
        return Name.of(ascii_name, latex)
    raise _fail(
        doc,
        keypath,
        f"found {value!r}; expected a name such as 'W_h' or {{name: yhat, latex: '\\hat{{y}}'}}",
    )


def _check_ascii_id(doc: YamlDoc, keypath: tuple[Any, ...], value: str) -> None:
    if not value.replace("_", "").isalnum() or not value.isascii() or value[0].isdigit():
        raise _fail(
            doc, keypath, f"found {value!r}; expected letters, digits and '_' such as 'W_h'"
        )


def _sizes(doc: YamlDoc, *, gated: bool = False) -> Sizes:
    """The file's default sizes, each within SIZE_LIMITS and together within what verify runs."""
    raw = doc.data.get("sizes", {})
    if not isinstance(raw, dict):
        raise _fail(doc, ("sizes",), "expected a mapping with T, n, m, k")
    values: dict[str, int] = {}
    for key, value in raw.items():
        if key not in SIZE_LIMITS:
            raise _fail(
                doc, ("sizes", key), f"unknown size; expected one of {', '.join(SIZE_LIMITS)}"
            )
        lo, hi = SIZE_LIMITS[key]
        if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
            raise _fail(
                doc, ("sizes", key), f"found {value!r}; expected a whole number from {lo} to {hi}"
            )
        values[key] = value
    sizes = Sizes(**values)
    where = ("sizes", "T") if "T" in values else ("sizes", "n") if "n" in values else ("sizes",)
    if gated:
        for key, (lo, hi) in GATED_SIZE_LIMITS.items():
            if getattr(sizes, key) > hi:
                raise _fail(
                    doc, ("sizes", key), f"found {getattr(sizes, key)}; a gated cell's checks "
                    f"run at {key} from {lo} to {hi}",
                )  # fmt: skip
    elif sizes.n ** (sizes.T + 1) > UNROLL_BUDGET:
        top = max(
            t for t in range(1, SIZE_LIMITS["T"][1] + 1) if sizes.n ** (t + 1) <= UNROLL_BUDGET
        )
        raise _fail(
            doc, where, f"T = {sizes.T} with n = {sizes.n} is more than the checks unroll "
            f"(n^(T+1) <= {UNROLL_BUDGET}): at n = {sizes.n}, T is at most {top}",
        )  # fmt: skip
    return sizes


def _get_or(data: Any, keypath: tuple[Any, ...]) -> Any:
    """The value at keypath, or None when a key on the way is missing."""
    for key in keypath:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def _get(data: Any, keypath: tuple[Any, ...]) -> Any:
    for key in keypath:
        data = data[key]
    return data
