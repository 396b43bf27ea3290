"""Reading one value of a derivation file: strings, letters, names, sizes, each checked.

Every mistake becomes a `DerivationFileError` naming the file, the line and the key path
(`_fail`), with what was found and what was expected. The default sizes a file may set are
limited here (`SIZE_LIMITS`, `UNROLL_BUDGET`, `GATED_SIZE_LIMITS`).
"""

from __future__ import annotations

import re
from typing import Any

from symbptt.errors import DerivationFileError
from symbptt.model import Name, Sizes
from symbptt.sourcefile import YamlDoc

__all__ = ["GATED_SIZE_LIMITS", "SIZE_LIMITS", "UNROLL_BUDGET"]

#: Default sizes a file may set: what the commands run at them (verify's unrolled checks,
#: derive's full expansion, in seconds); beyond them a file fails at load, not in a command.
SIZE_LIMITS = {"T": (1, 6), "n": (1, 5), "m": (1, 8), "k": (1, 8)}
#: verify unrolls about n^(T+1) products per entry and allows at most this many.
UNROLL_BUDGET = 4096
#: A gated cell's checks unroll at most T = 3 steps of n = 2 units.
GATED_SIZE_LIMITS = {"T": (1, 3), "n": (1, 2)}
#: A time letter or a number of steps: one letter (t, T) or one Greek letter (\tau).
_LETTER = re.compile(r"[A-Za-z]|\\[A-Za-z]+")


def _fail(doc: YamlDoc, keypath: tuple[Any, ...], message: str) -> DerivationFileError:
    key = ".".join(str(k) for k in keypath)
    return DerivationFileError(
        f"key '{key}': {message}" if key else message, where=doc.where(*keypath)
    )


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
