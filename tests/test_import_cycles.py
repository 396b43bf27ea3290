"""No import cycle among symbptt's modules (issue 10), read from their import statements.

Every `import` and `from ... import` in every module counts, also those inside functions (a
function-level import only defers a cycle, it does not break it), and so does a module named by
a string literal to `optional_module(...)` or `importlib.import_module(...)`; imports under
`if TYPE_CHECKING:` do not run and are left out. An edge goes to the module named (or to the
submodule when `from package import name` names one); a package's __init__ is its own node, and
since `import a.b.c` also runs a/__init__ and a/b/__init__, an edge goes to every package above
the module named too, except the importer's own packages (they run before it does).
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

import symbptt

ROOT = Path(symbptt.__file__).parent


def _modules(root: Path = ROOT) -> dict[str, Path]:
    """Every module under the package folder `root`, by dotted name (a package by its own)."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
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


def _import_statements(
    name: str, path: Path, modules: dict[str, Path] = MODULES
) -> list[tuple[str, str | None, int]]:
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
                    (sub, None, node.lineno) if sub in modules else (mod, a.name, node.lineno)
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
    return [f for f in found if f[0] in modules and f[0] != name]


def _packages_run(name: str, module: str, modules: dict[str, Path]) -> set[str]:
    """The packages whose __init__ importing `module` runs too, as seen from `name`.

    `import a.b.c` runs a/__init__ and a/b/__init__ first; the importer's own packages are left
    out (they ran before it did)."""
    parts = module.split(".")
    above = {".".join(parts[:i]) for i in range(1, len(parts))}
    return {p for p in above if p in modules and p != name and not name.startswith(p + ".")}


def _imports(name: str, path: Path, modules: dict[str, Path] = MODULES) -> set[str]:
    """The symbptt modules `name` imports anywhere in its body, and the packages above them."""
    out = set()
    for mod, _, _ in _import_statements(name, path, modules):
        out |= {mod} | _packages_run(name, mod, modules)
    return out


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


def test_the_cycles_through_package_inits_are_gone() -> None:
    """The review's two cycles: each ran through a package's __init__ (both now edges here)."""
    graph = _graph()
    # cells.symbolic -> symbolic/__init__ (it imports symbolic.exact) -> ... -> cells.symbolic
    assert "symbptt.symbolic" in graph["symbptt.cells.symbolic"]
    assert graph["symbptt.symbolic"] == set()
    # cells.from_latex reads LaTeX with mathtext and no longer imports the checker
    assert "symbptt.mathtext" in graph["symbptt.cells.from_latex"]
    assert not {m for m in graph["symbptt.cells.from_latex"] if m.startswith("symbptt.answers")}


def test_the_cycle_finder_finds_a_function_level_cycle(tmp_path: Path) -> None:
    """Not vacuous: a.py imports b at the top, b.py imports a inside a function."""
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]
    b = tmp_path / "b.py"
    b.write_text("def f():\n    from symbptt.flow import GAMMA\n    return GAMMA\n")
    assert _imports("symbptt.zz", b) == {"symbptt.flow"}
    c = tmp_path / "c.py"
    c.write_text('def g():\n    return optional_module("symbptt.eigen")\n')
    assert _imports("symbptt.zz", c) == {"symbptt.eigen"}


def test_the_cycle_finder_sees_a_cycle_through_a_package_init(tmp_path: Path) -> None:
    """Not vacuous: the review's shape. cells/sym.py imports pkg.symbolic.exact, which runs
    symbolic/__init__, which imports symbolic/unroll, which imports cells.sym again."""
    files = {
        "__init__.py": "",
        "cells/__init__.py": "",
        "cells/sym.py": "from pkg.symbolic.exact import same\n",
        "symbolic/__init__.py": "from pkg.symbolic.unroll import unroll\n",
        "symbolic/exact.py": "def same():\n    return True\n",
        "symbolic/unroll.py": "from pkg.cells import sym\n",
    }
    for rel, text in files.items():
        (tmp_path / "pkg" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "pkg" / rel).write_text(text)
    modules = _modules(tmp_path / "pkg")
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    assert graph["pkg.cells.sym"] == {"pkg.symbolic", "pkg.symbolic.exact"}
    assert graph["pkg.symbolic.unroll"] == {"pkg.cells", "pkg.cells.sym"}  # not pkg.symbolic
    assert _cycles(graph) == [["pkg.cells.sym", "pkg.symbolic", "pkg.symbolic.unroll"]]
    # the named modules alone (the scan before the review) miss it
    named = {n: {m for m, _, _ in _import_statements(n, p, modules)} for n, p in modules.items()}
    assert _cycles(named) == []


def test_the_symbolic_package_names_load_on_use() -> None:
    """symbolic/__init__ imports nothing (the cycle); its names still work, `unroll` the function
    even when the submodule `symbolic.unroll` was imported first (fresh interpreter)."""
    code = (
        "import importlib, types\n"
        "mod = importlib.import_module('symbptt.symbolic.unroll')\n"
        "import symbptt.symbolic as S\n"
        "from symbptt.symbolic import bptt, unroll\n"
        "assert unroll is mod.unroll and S.unroll is mod.unroll and S.Unrolled is mod.Unrolled\n"
        "assert bptt is importlib.import_module('symbptt.symbolic.gradients').bptt\n"
        "assert not isinstance(S.unroll, types.ModuleType)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.slow
def test_every_symbptt_module_imports() -> None:
    for name in MODULES:
        if name.endswith("__main__"):
            continue
        importlib.import_module(name)
