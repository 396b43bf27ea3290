"""Layers (issue 10): printers only print a `Derivation` value, lower layers import no higher one.

Read from the import statements, as tests/test_import_cycles.py reads them (its scan is reused,
also imports inside functions and modules named to `optional_module`). The lines drawn:

- the algebra: `symbolic/` and the cell algebra (`cells.symbolic`, `reverse`, `jacobian`,
  `carousel`, `checks`, `steplemma`, `paths`);
- the builders: `builders/`, which call the algebra and `verify/` and return the value; `verify/`
  stands beside them: both word what they find in a text's letters with the printing helpers;
- the printers: every module of `latex/` and `site/`, and `display`, import neither the algebra,
  nor `verify`, nor the builders; the site's build driver `site.generate` is the one exception (it
  calls the builders and `verify` and hands their values to the page printers). The printing
  helpers that render the algebra's objects (`latex.printer`, `notation`, `cell_ir`, `statement`)
  may import its data types (classes) only;
- below them all, the algebra and the engines (`symbptt.symbolic`, `cells/`, `engine*`,
  `gradcheck`, `eigen`, `flow`, `model`), the LaTeX reader `mathtext/`, and the catalog with its
  derivation-file modules (`catalog`, `derivation_*`) import nothing of `latex/`, `site/`,
  `builders/`, `verify/`, `cli/`, nor of the checkers and what stands on them: `answers/` (the
  homework checker), `claims/`, `codecheck/` and `compat/` (the courses' code, run by codecheck);
- the catalog reads derivation files and builds Models from the cells: the algebra, the engines,
  `model` and `mathtext` import neither `catalog` nor a `derivation_*` module;
- `mathtext` (our own lark grammar for LaTeX, used by `answers` and `cells.from_latex`) imports
  nothing of symbptt but itself and `errors`;
- `answers` and `compat` import neither `claims` nor `codecheck` (which stand on them), nor a
  printer, builder, `verify` or command;
- `verify/` imports of `latex/` the printing helpers only, and no builder;
  `display` is a leaf (it imports nothing of symbptt), so any result may print itself with it.
"""

from __future__ import annotations

import importlib
from functools import cache
from pathlib import Path

from test_import_cycles import MODULES, _import_statements

ALGEBRA = (
    "symbptt.symbolic",
    "symbptt.cells.symbolic",
    "symbptt.cells.reverse",
    "symbptt.cells.jacobian",
    "symbptt.cells.carousel",
    "symbptt.cells.checks",
    "symbptt.cells.steplemma",
    "symbptt.cells.paths",
)
#: The builders and, beside them, verify: they call the algebra and word results with helpers.
BUILDERS = ("symbptt.builders", "symbptt.verify")
PRINTERS = ("symbptt.latex", "symbptt.site", "symbptt.display")
#: The site's build driver: it calls the builders and verify and hands the values to the pages.
DRIVERS = {"symbptt.site.generate"}
#: Printing helpers that render the algebra's objects: its data types (classes) only.
HELPERS = {
    "symbptt.latex.printer",
    "symbptt.latex.notation",
    "symbptt.latex.cell_ir",
    "symbptt.latex.statement",
}
LOWER = (
    "symbptt.symbolic",
    "symbptt.cells",
    "symbptt.engine",
    "symbptt.engine_core",
    "symbptt.engine_gated",
    "symbptt.engine_gated_back",
    "symbptt.engine_generic",
    "symbptt.gradcheck",
    "symbptt.eigen",
    "symbptt.flow",
    "symbptt.model",
    "symbptt.mathtext",
    "symbptt.catalog",
    "symbptt.derivation_cell",
    "symbptt.derivation_fields",
    "symbptt.derivation_schema",
)
#: The checkers and what stands on them (claims, the code checker and the courses' code).
CHECKERS = ("symbptt.answers", "symbptt.claims", "symbptt.codecheck", "symbptt.compat")
#: The printers, builders, verify and the commands.
PRINTING = ("symbptt.latex", "symbptt.site", "symbptt.builders", "symbptt.verify", "symbptt.cli")
HIGHER = (*PRINTING, *CHECKERS)
#: The catalog: derivation files read into Models (it stands on the cells and the model).
CATALOG = (
    "symbptt.catalog",
    "symbptt.derivation_cell",
    "symbptt.derivation_fields",
    "symbptt.derivation_schema",
)
#: What the catalog stands on: the algebra, the engines, the model and the LaTeX reader.
CORE = tuple(p for p in LOWER if p not in CATALOG)

Statements = dict[str, list[tuple[str, str | None, int]]]


def _in(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _is_class(module: str, name: str | None) -> bool:
    """True when `from module import name` imports a class (a data type), not code to run."""
    if name is None:
        return False
    return isinstance(getattr(importlib.import_module(module), name, None), type)


def printer_violations(statements: Statements) -> list[str]:
    """Printer modules importing the algebra or the builders (helpers: anything but a class)."""
    out = []
    for name, found in sorted(statements.items()):
        if not _in(name, PRINTERS) or name in DRIVERS:
            continue
        for mod, what, line in found:
            if _in(mod, BUILDERS) or (
                _in(mod, ALGEBRA) and not (name in HELPERS and _is_class(mod, what))
            ):
                out.append(f"{name}:{line} imports {mod}{'.' + what if what else ''}")
    return out


def upward_imports(statements: Statements) -> set[tuple[str, str]]:
    """(lower, higher) for every import of a higher layer by the algebra or the engines."""
    return {
        (name, mod)
        for name, found in statements.items()
        if _in(name, LOWER)
        for mod, _, _ in found
        if _in(mod, HIGHER)
    }


def catalog_imports(statements: Statements) -> set[tuple[str, str]]:
    """(core, catalog) for every import of the catalog by the algebra, engines, model or mathtext."""
    return {
        (name, mod)
        for name, found in statements.items()
        if _in(name, CORE)
        for mod, _, _ in found
        if _in(mod, CATALOG)
    }


def mathtext_imports(statements: Statements) -> set[tuple[str, str]]:
    """(mathtext module, other) for every symbptt module mathtext imports but itself and errors."""
    return {
        (name, mod)
        for name, found in statements.items()
        if _in(name, ("symbptt.mathtext",))
        for mod, _, _ in found
        if not _in(mod, ("symbptt.mathtext", "symbptt.errors"))
    }


def checker_imports(statements: Statements) -> set[tuple[str, str]]:
    """(answers or compat module, higher) for every import of what stands on them or prints."""
    above = ("symbptt.claims", "symbptt.codecheck", *PRINTING)
    return {
        (name, mod)
        for name, found in statements.items()
        if _in(name, ("symbptt.answers", "symbptt.compat"))
        for mod, _, _ in found
        if _in(mod, above)
    }


@cache
def _statements() -> Statements:
    return {name: _import_statements(name, path) for name, path in MODULES.items()}


def test_printers_import_neither_the_algebra_nor_the_builders() -> None:
    assert printer_violations(_statements()) == []


def test_no_lower_layer_imports_a_higher_one() -> None:
    assert upward_imports(_statements()) == set()


def test_the_core_does_not_import_the_catalog() -> None:
    assert catalog_imports(_statements()) == set()


def test_mathtext_imports_nothing_but_itself() -> None:
    assert mathtext_imports(_statements()) == set()


def test_answers_and_compat_import_nothing_standing_on_them() -> None:
    assert checker_imports(_statements()) == set()


def test_the_lower_layers_are_the_ones_meant() -> None:
    """The lists name real modules (a renamed package would empty a rule silently)."""
    for prefix in (*LOWER, *HIGHER, *CATALOG):
        assert any(_in(m, (prefix,)) for m in MODULES), prefix
    assert {"symbptt.mathtext.parse", "symbptt.cells.from_latex"} <= MODULES.keys()


def test_verify_uses_only_the_printing_helpers_and_no_builder() -> None:
    """verify words its rows with the helpers (a text's letters); it builds no derivation."""
    found = {
        (name, mod)
        for name, imports in _statements().items()
        if _in(name, ("symbptt.verify",))
        for mod, _, _ in imports
        if (_in(mod, ("symbptt.latex",)) and mod not in HELPERS)
        or _in(mod, ("symbptt.builders", "symbptt.site", "symbptt.cli"))
    }
    assert found == set()


def test_builders_and_latex_import_neither_the_site_nor_a_command() -> None:
    found = {
        (name, mod)
        for name, imports in _statements().items()
        if _in(name, (*BUILDERS, "symbptt.latex"))
        for mod, _, _ in imports
        if _in(mod, ("symbptt.site", "symbptt.cli"))
    }
    assert found == set()


def test_display_is_a_leaf() -> None:
    assert _statements()["symbptt.display"] == []


def test_the_builders_are_where_the_printers_are_not() -> None:
    """The document builders live in builders/, not in latex/ (no shim left behind)."""
    assert {"symbptt.builders.vanilla", "symbptt.builders.gated"} <= MODULES.keys()
    gone = {"symbptt.latex.document", "symbptt.latex.gated_document"}
    assert gone.isdisjoint(MODULES.keys())


def test_the_checks_find_a_printer_calling_the_algebra(tmp_path: Path) -> None:
    """Not vacuous: a printer importing the algebra or a builder, a helper importing a function."""
    page = tmp_path / "page.py"
    page.write_text(
        "from symbptt.symbolic import general\n"
        "def f():\n    from symbptt.builders.vanilla import build\n"
        "    return optional_module('symbptt.verify')\n"
    )
    found = {"symbptt.site.pages": _import_statements("symbptt.site.pages", page)}
    assert printer_violations(found) == [
        "symbptt.site.pages:1 imports symbptt.symbolic.general",
        "symbptt.site.pages:3 imports symbptt.builders.vanilla.build",
        "symbptt.site.pages:4 imports symbptt.verify",
    ]
    helper = tmp_path / "helper.py"
    helper.write_text("from symbptt.symbolic.general import Param, statements\n")
    found = {"symbptt.latex.printer": _import_statements("symbptt.latex.printer", helper)}
    assert printer_violations(found) == [
        "symbptt.latex.printer:1 imports symbptt.symbolic.general.statements"
    ]
    low = tmp_path / "low.py"
    low.write_text("def f():\n    from symbptt.latex import formats\n")
    found = {"symbptt.cells.reverse": _import_statements("symbptt.cells.reverse", low)}
    assert upward_imports(found) == {("symbptt.cells.reverse", "symbptt.latex.formats")}


def test_the_checks_find_a_lower_layer_importing_a_checker(tmp_path: Path) -> None:
    """Not vacuous: cells importing the checker, the catalog; mathtext and answers reaching up."""
    cell = tmp_path / "cell.py"
    cell.write_text(
        "from symbptt.answers.judge import judge\n"
        "import symbptt.claims.computed\n"
        "def f():\n    from symbptt.catalog import load\n"
        "    return optional_module('symbptt.codecheck.apis')\n"
    )
    found = {"symbptt.cells.from_latex": _import_statements("symbptt.cells.from_latex", cell)}
    assert upward_imports(found) == {
        ("symbptt.cells.from_latex", "symbptt.answers.judge"),
        ("symbptt.cells.from_latex", "symbptt.claims.computed"),
        ("symbptt.cells.from_latex", "symbptt.codecheck.apis"),
    }
    assert catalog_imports(found) == {("symbptt.cells.from_latex", "symbptt.catalog")}
    schema = tmp_path / "schema.py"
    schema.write_text("from symbptt.compat import cs231n\nfrom symbptt.cells import builtin\n")
    found = {"symbptt.derivation_schema": _import_statements("symbptt.derivation_schema", schema)}
    assert upward_imports(found) == {("symbptt.derivation_schema", "symbptt.compat.cs231n")}
    assert catalog_imports(found) == set()  # the catalog's own modules may import the cells
    text = tmp_path / "text.py"
    text.write_text("from symbptt.errors import InputError\nfrom symbptt.cells.expr import Add\n")
    found = {"symbptt.mathtext.parse": _import_statements("symbptt.mathtext.parse", text)}
    assert mathtext_imports(found) == {("symbptt.mathtext.parse", "symbptt.cells.expr")}
    judge = tmp_path / "judge.py"
    judge.write_text(
        "from symbptt.mathtext.ast import Sym\nfrom symbptt.claims.result import Claim\n"
        "def f():\n    from symbptt.latex import formats\n"
    )
    found = {"symbptt.answers.judge": _import_statements("symbptt.answers.judge", judge)}
    assert checker_imports(found) == {
        ("symbptt.answers.judge", "symbptt.claims.result"),
        ("symbptt.answers.judge", "symbptt.latex.formats"),
    }


def test_symbptt_derive_stays_the_function_once_the_builders_are_imported() -> None:
    """`symbptt.derive` is the public function, also after the builder modules are imported."""
    import symbptt
    from symbptt.builders import gated

    assert symbptt.builders.gated is gated and callable(symbptt.derive)
    d = symbptt.derive("elman", form="general", checks=False)
    assert (d.model, d.T, d.n) == ("elman", None, None)
