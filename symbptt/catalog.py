"""Derivation files: the built-in list and loading by name or path, with precise errors.

A derivation file declares a model in one text's notation; no Python is needed to add one.
Every mistake is reported with the file, the line, the key, what was found and what was expected.

The file's contract is in `derivation_schema` (its keys, the model a file declares), the value
readers and size limits in `derivation_fields`, a cell stated as LaTeX in `derivation_cell`;
their public names are re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from symbptt.derivation_cell import CELL_KEYS, user_cell
from symbptt.derivation_fields import GATED_SIZE_LIMITS, SIZE_LIMITS, UNROLL_BUDGET
from symbptt.derivation_schema import _SYMBOL_KEYS, _TOP_KEYS, model_from  # noqa: F401 (site.markers)
from symbptt.errors import DerivationFileError, InputError
from symbptt.model import GATED_CELLS, Model
from symbptt.resources import data_root
from symbptt.sourcefile import load_yaml

__all__ = [
    "CELL_KEYS",
    "DERIVATIONS_DIR",
    "EXAMPLES_DIR",
    "GATED_SIZE_LIMITS",
    "SIZE_LIMITS",
    "UNROLL_BUDGET",
    "Entry",
    "builtin_names",
    "builtin_paths",
    "example_entries",
    "list_entries",
    "load",
    "load_entry",
    "load_file",
    "looks_like_path",
    "shipped_file",
    "user_cell",
]

#: Shipped derivations: the checkout's derivations/ folder, or the wheel's copy of it.
DERIVATIONS_DIR = data_root() / "derivations"


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


def shipped_file(ref: str | Path) -> Path | None:
    """The shipped derivation file a relative path names (derivations/examples/mgu.yaml), or None."""
    return _shipped(Path(ref))


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
        model = model_from(doc)
    except InputError as exc:
        if isinstance(exc, DerivationFileError):
            raise
        raise DerivationFileError(exc.message, where=exc.where or str(path)) from None
    return Entry(model.name, model.description, Path(path), model)
