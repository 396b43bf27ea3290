"""No import cycle among symbptt's modules (issue 10), read from their import statements.

Every `import` and `from ... import` in every module counts, also those inside functions (a
function-level import only defers a cycle, it does not break it), and so does a module named by
a string literal to `optional_module(...)` or `importlib.import_module(...)`; imports under
`if TYPE_CHECKING:` do not run and are left out. An edge goes to the module named (or to the
submodule when `from package import name` names one); a package's __init__ is its own node.
"""

from __future__ import annotations

import ast
import importlib
from functools import cache
from pathlib import Path

import pytest

import symbptt

ROOT = Path(symbptt.__file__).parent


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _is_type_checking(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
    )


#: Calls that import a module named by a string literal (the site's optional modules).
_BY_NAME = {"optional_module", "import_module"}


def _import_statements(name: str, path: Path) -> list[tuple[str, str | None, int]]:
    """Every import in `name`'s body as (module, imported name or None, line).

    The module is the symbptt module the statement loads (the submodule when `from package import
    name` names one, the name then None); `import x` and `optional_module("x")` give (x, None).
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[tuple[str, str | None, int]] = []

    def visit(node: ast.AST) -> None:
        if _is_type_checking(node):
            return
        if isinstance(node, ast.Import):
            found.extend((a.name, None, node.lineno) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            for a in node.names:
                sub = f"{mod}.{a.name}"
                found.append(
                    (sub, None, node.lineno) if sub in MODULES else (mod, a.name, node.lineno)
                )
        elif isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            arg = node.args[0] if node.args else None
            if called in _BY_NAME and isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.append((arg.value, None, node.lineno))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return [f for f in found if f[0] in MODULES and f[0] != name]


def _imports(name: str, path: Path) -> set[str]:
    """The symbptt modules `name` imports anywhere in its body."""
    return {mod for mod, _, _ in _import_statements(name, path)}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return out


@cache
def _graph() -> dict[str, set[str]]:
    return {name: _imports(name, path) for name, path in MODULES.items()}


#: Cycles tolerated for now: none (formats imports steps for its types only).
KNOWN: list[list[str]] = []


def test_no_import_cycle_among_symbptt_modules() -> None:
    graph = _graph()
    assert [c for c in _cycles(graph) if c not in KNOWN] == []


def test_the_cycles_the_issue_names_are_gone() -> None:
    graph = _graph()
    assert "symbptt.symbolic.codegen" not in graph["symbptt.symbolic.steplemma"]
    assert "symbptt.site.generate" not in graph["symbptt.site.claims_page"]


def test_the_cycle_finder_finds_a_function_level_cycle(tmp_path: Path) -> None:
    """Not vacuous: a.py imports b at the top, b.py imports a inside a function."""
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]
    b = tmp_path / "b.py"
    b.write_text("def f():\n    from symbptt.flow import GAMMA\n    return GAMMA\n")
    assert _imports("symbptt.zz", b) == {"symbptt.flow"}
    c = tmp_path / "c.py"
    c.write_text('def g():\n    return optional_module("symbptt.eigen")\n')
    assert _imports("symbptt.zz", c) == {"symbptt.eigen"}


@pytest.mark.slow
def test_every_symbptt_module_imports() -> None:
    for name in MODULES:
        if name.endswith("__main__"):
            continue
        importlib.import_module(name)
