"""YAML read with line numbers and without aliases, so errors can name file, key and line.

Derivation files and answer files are both YAML written by people (answer files by untrusted
students): aliases are refused (no "billion laughs"), size is bounded, and every mapping key
remembers the line it was written on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from symbptt.errors import InputError

MAX_YAML_BYTES = 1_000_000


@dataclass
class YamlDoc:
    """Plain data from a YAML file plus the line of every key path (1-based)."""

    path: str
    data: Any
    lines: dict[tuple[Any, ...], int] = field(default_factory=dict)

    def where(self, *keypath: Any) -> str:
        """'file:line' for the deepest known prefix of keypath (the file alone if none)."""
        for cut in range(len(keypath), -1, -1):
            line = self.lines.get(tuple(keypath[:cut]))
            if line is not None:
                return f"{self.path}:{line}"
        return self.path


def read_text(path: str | Path, *, limit: int = MAX_YAML_BYTES) -> str:
    """Read a UTF-8 text file, refusing NUL bytes, invalid UTF-8 and files above `limit`."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise InputError("file not found", where=str(path)) from None
    except IsADirectoryError:
        raise InputError("is a directory, expected a file", where=str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read file ({exc.strerror})", where=str(path)) from None
    if len(raw) > limit:
        raise InputError(
            f"file is {len(raw)} bytes, more than the limit of {limit}", where=str(path)
        )
    if b"\x00" in raw:
        raise InputError("file contains a NUL byte", where=str(path))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError("invalid UTF-8", where=f"{path}:{line}") from None


def parse_yaml(text: str, path: str = "<string>") -> YamlDoc:
    """Parse YAML safely (no aliases, no tags beyond the core schema) keeping key lines."""
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                line = event.start_mark.line + 1
                raise InputError("YAML aliases (*name) are not allowed", where=f"{path}:{line}")
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else path
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(
            f"not valid YAML: {problem}{_quote_hint(text, mark)}", where=where
        ) from None
    doc = YamlDoc(path=path, data=None)
    if node is None:
        return doc
    constructor = yaml.SafeLoader("")
    doc.data = _convert(node, (), doc.lines, constructor, path)
    return doc


_PRIME = re.compile(r"[A-Za-z)}]'[^']")


def _quote_hint(text: str, mark: Any) -> str:
    """The usual cause in answer files: a prime (sigma') inside a '...' YAML string."""
    if mark is None:
        return ""
    lines = text.splitlines()
    near = lines[max(mark.line - 1, 0) : mark.line + 1]
    if any(_PRIME.search(line) and line.count("'") >= 3 for line in near):
        return (
            " (inside '...' a prime must be doubled, \\sigma''(s_t) for \\sigma'(s_t); "
            "or write the answer as a | block)"
        )
    return ""


def load_yaml(path: str | Path) -> YamlDoc:
    """Read and parse a YAML file; errors name the file and line."""
    return parse_yaml(read_text(path), str(path))


def _convert(
    node: yaml.Node, keypath: tuple[Any, ...], lines: dict, constructor: Any, path: str
) -> Any:
    lines.setdefault(keypath, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for knode, vnode in node.value:
            key = constructor.construct_object(knode)
            if isinstance(key, (list, dict)):
                raise InputError(
                    "a mapping key must be a plain value",
                    where=f"{path}:{knode.start_mark.line + 1}",
                )
            lines[keypath + (key,)] = knode.start_mark.line + 1
            out[key] = _convert(vnode, keypath + (key,), lines, constructor, path)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [
            _convert(v, keypath + (i,), lines, constructor, path) for i, v in enumerate(node.value)
        ]
    return constructor.construct_object(node)
