"""Generated content for the `[[symbptt:NAME ARG]]` markers in the hand-written pages of docs/.

The prose lives in docs/*.md; every number, matrix, table or file listing on those pages comes
from here, computed from the library at build time. An unknown marker fails the build.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import sympy as sp

from symbptt import catalog, engine
from symbptt.cells.heads import numeric_head
from symbptt.eigen import homework_exercise, unit_eigenvalue_counterexample
from symbptt.errors import SymbpttError
from symbptt.flow import gradient_flow
from symbptt.site import pages, plots

MARKER = re.compile(r"\[\[symbptt:([a-z0-9-]+)(?: ([^\]\s]+))?\]\]")


class MarkerError(SymbpttError):
    """A marker in a hand-written page that this module does not know or cannot fill."""


def pmatrix(M: object, digits: int = 4) -> str:
    """A numeric matrix as a LaTeX pmatrix with `digits` significant figures."""
    arr = np.asarray(M, dtype=float)
    rows = [" & ".join(_num(v, digits) for v in row) for row in arr]
    return r"\begin{pmatrix} " + r" \\ ".join(rows) + r" \end{pmatrix}"


def _num(v: float, digits: int = 4) -> str:
    text = f"{v:.{digits}g}"
    if "e" in text:
        mant, exp = text.split("e")
        return rf"{mant} \times 10^{{{int(exp)}}}"
    return text


def homework_power() -> str:
    """Homework 3, Ex 2(c): the factors, Lambda^30, W^30 both ways, and the errata."""
    hw = homework_exercise()
    num, ex = hw.numeric, hw.exact
    exact_float = np.array(ex.power.evalf(30).tolist(), dtype=float)
    diff = float(np.max(np.abs(exact_float - np.asarray(num.power, dtype=float))))
    lam = [float(v) for v in num.eigenvalues]
    out = [
        "Computed while this page was built (`symbptt.eigen.homework_exercise()`, the same "
        "function as `symbptt eigen --homework`):",
        pages.math_block(
            rf"Q = {sp.latex(ex.Q)}, \quad \Lambda = {sp.latex(ex.Lambda)}, \quad "
            rf"Q^{{-1}} = {sp.latex(ex.Q_inv)}"
        ),
        pages.math_block(rf"W = Q \Lambda Q^{{-1}} = {sp.latex(ex.M)} = {pmatrix(num.M)}"),
        "Raise the eigenvalues, not the matrix, to the 30th power:",
        pages.math_block(
            rf"\Lambda^{{30}} = \operatorname{{diag}}\left(0.9^{{30}}, 0.4^{{30}}\right) = "
            rf"{pmatrix(num.Lambda_n)}"
        ),
        pages.math_block(rf"W^{{30}} = Q \Lambda^{{30}} Q^{{-1}} = {pmatrix(num.power)}"),
        f"The exact rational computation (SymPy) and the floating-point one agree to "
        f"${_num(diff, 2)}$ in the largest entry. The eigenvalues are "
        f"${', '.join(f'{v:g}' for v in lam)}$, both below 1 in size, so $W^n \\to 0$.",
        "",
        '!!! bug "Mistakes in the written solution"',
    ]
    out += [f"    - {item}" for item in hw.errata]
    demo = unit_eigenvalue_counterexample()
    rel = "=" if demo.claim_holds else r"\neq"
    out += [
        "",
        '!!! bug "Claim: when all eigenvalues equal 1, the power equals the original matrix"',
        f"    Checked exactly on the Jordan block below: its eigenvalues are "
        f"{', '.join(str(e) for e in demo.eigenvalues)}, yet",
        "",
        "    "
        + pages.math_block(
            rf"M = {sp.latex(demo.M)}, \qquad M^{{{demo.n}}} = {sp.latex(demo.power)} "
            rf"{rel} M"
        )
        .strip()
        .replace("\n", "\n    "),
        "",
        f"    symbptt: {demo.explanation}.",
    ]
    fig = plots.eigenvalue_powers_figure(tuple(lam))
    out += ["", pages.figure_markdown(f"plots/{fig.name}", fig.alt, fig.caption)]
    return "\n".join(out)


_FLOW_EXAMPLES: tuple[tuple[str, list[list[float]]], ...] = (
    ("homework 3's W", [[0.58, 0.24], [0.24, 0.72]]),
    ("non-normal, small rho", [[0.5, 2.0], [0.0, 0.5]]),
    ("1.5 I", [[1.5, 0.0], [0.0, 1.5]]),
    ("rotation by 0.3 rad", [[0.955336, -0.29552], [0.29552, 0.955336]]),
)


def flow_table() -> str:
    """symbptt.flow readings for a few matrices: one table of the matrices, one per activation.

    Two narrow tables instead of one of eight columns, which is wider than the page.
    """
    matrices = [
        "| W | $\\rho(W)$ | $\\sigma_{max}(W)$ | long run of $W^k$ |",
        "|---|---|---|---|",
    ]
    readings = [
        "| W | activation | $1/\\gamma$ | Pascanu reading | norm at $t-k=20$ |",
        "|---|---|---|---|---|",
    ]
    for label, W in _FLOW_EXAMPLES:
        for act in ("tanh", "sigmoid"):
            r = gradient_flow(W, act, steps=20, seed=0)
            if act == "tanh":
                matrices.append(
                    f"| {label} ${pmatrix(W, 3)}$ | {r.spectral_radius:.6g} | "
                    f"{r.largest_singular_value:.6g} | {r.long_run} |"
                )
            readings.append(
                f"| {label} | {act} | {1 / r.gamma:g} | {r.pascanu} | {r.jacobian_norms[-1]:.2e} |"
            )
    between = (
        "The same matrices under each activation: the Pascanu reading compares "
        "$\\sigma_{max}(W)$ with $1/\\gamma$; the measured norm is the trajectory's."
    )
    return "\n".join([*matrices, "", between, "", *readings])


def _elman_run(radius: float, T: int = 30) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    model = catalog.load("elman")
    rng = np.random.default_rng(1)
    s = model.sizes
    params = {
        "U": rng.normal(0.0, 1.0 / np.sqrt(s.m), size=(s.n, s.m)),
        "W": plots.recurrent_matrix(model, radius),
        "b": np.zeros(s.n),
        "V": rng.normal(0.0, 1.0 / np.sqrt(s.n), size=(s.k, s.n)),
        "c": np.zeros(s.k),
    }
    xs = rng.normal(0.0, 1.0, size=(T, s.m))
    return params, xs, numeric_head(model.output, model.loss).sample_targets(rng, T, s.k)


def truncation_table() -> str:
    """Relative error of truncated BPTT in dE/dW against full BPTT (engine, elman model)."""
    taus = (0, 1, 2, 5, 10, 20)
    head = "| $\\rho(W)$ | " + " | ".join(f"$\\tau = {t}$" for t in taus) + " |"
    lines = [head, "|---" * (len(taus) + 1) + "|"]
    for radius in plots.RADII:
        params, xs, ys = _elman_run(radius)
        trace = engine.forward(params, xs, activation="tanh", output="softmax")
        full = engine.backward(trace, targets=ys)["W"]
        errs = []
        for tau in taus:
            g = engine.backward(trace, targets=ys, truncate=tau)["W"]
            errs.append(float(np.linalg.norm(g - full) / np.linalg.norm(full)))
        lines.append(f"| {radius:g} | " + " | ".join(f"{e:.1e}" for e in errs) + " |")
    return "\n".join(lines)


def clipping_table() -> str:
    """Global-norm clipping on the elman model: norm before, after, and the direction kept."""
    lines = [
        "| spectral radius of W | global norm before | clipped at 1? | global norm after | "
        "cosine(clipped, full) for dE/dW |",
        "|---|---|---|---|---|",
    ]
    for radius in plots.RADII:
        params, xs, ys = _elman_run(radius)
        trace = engine.forward(params, xs, activation="tanh", output="softmax")
        full = engine.backward(trace, targets=ys)
        clipped = engine.backward(trace, targets=ys, clip=1.0)
        after = engine.global_norm(clipped)
        a, b = full["W"].ravel(), clipped["W"].ravel()
        cos = float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))
        lines.append(
            f"| {radius:g} | {clipped.norm:.3g} | {'yes' if clipped.clipped else 'no'} | "
            f"{after:.3g} | {cos:.6f} |"
        )
    return "\n".join(lines)


def yaml_contract() -> str:
    """The derivation-file keys, from symbptt.catalog (the contract's single source)."""
    lines = ["| key | what it holds |", "|---|---|"]
    for key, what in catalog._TOP_KEYS.items():
        lines.append(f"| `{key}` | {what.replace('|', '/')} |")
    lines += [
        "",
        "Quantities under `symbols` (each a name such as `h`, or `{name: yhat, latex: '\\hat{y}'}`; "
        "`time` is a plain letter): " + ", ".join(f"`{k}`" for k in catalog._SYMBOL_KEYS) + ".",
        "",
        "Size limits: "
        + ", ".join(f"{k} from {lo} to {hi}" for k, (lo, hi) in catalog.SIZE_LIMITS.items())
        + ".",
    ]
    return "\n".join(lines)


def example_file(name: str | None) -> str:
    """A shipped derivation file, verbatim, and proof that it loads."""
    if not name:
        raise MarkerError(
            "example-file needs a derivation name, e.g. [[symbptt:example-file elman]]"
        )
    entry = catalog.load_entry(name)
    text = entry.path.read_text(encoding="utf-8")
    m = entry.model
    roles = ", ".join(f"{r.value} = {m.notation.param(r).ascii}" for r in m.roles)
    return (
        f'```yaml title="derivations/{entry.path.name}"\n{text.rstrip()}\n```\n\n'
        f"Loaded while building this page: model `{m.name}`, roles {roles}; activation "
        f"`{m.activation}`, output `{m.output}`, loss `{m.loss}` at `{m.loss_at}`, error term "
        f"`{m.delta}`."
    )


EXAMPLE_ANSWERS = "docs/examples/homework3-answers.yaml"


def check_example() -> str:
    """A real `symbptt check` run on the example answers file, output as the command prints it.

    Runs the grader the command runs (read_all, grade, as_text, exit_code), not the CLI group:
    the page does not depend on how commands are registered."""
    from symbptt.answers.grade import exit_code, grade, read_all
    from symbptt.answers.report import as_text
    from symbptt.site.build import REPO_ROOT

    path = str(REPO_ROOT / EXAMPLE_ANSWERS)
    read = read_all([path])
    results = grade([path], jobs=1, read=read)
    code = exit_code(results)
    if code not in (0, 1, 3):
        raise MarkerError(f"symbptt check failed on {EXAMPLE_ANSWERS} (exit {code})")
    output = as_text(results).replace(path, EXAMPLE_ANSWERS).rstrip()
    text = (REPO_ROOT / EXAMPLE_ANSWERS).read_text(encoding="utf-8").rstrip()
    return (
        f'```yaml title="{EXAMPLE_ANSWERS}"\n{text}\n```\n\n'
        f"```console\n$ symbptt check {EXAMPLE_ANSWERS}\n{output}\n```\n\n"
        f"This is the real output of that command, run while this page was built; it exited "
        f"with code {code}."
    )


_HANDLERS: dict[str, Callable[[str | None], str]] = {
    "homework-power": lambda _arg: homework_power(),
    "flow-table": lambda _arg: flow_table(),
    "truncation-table": lambda _arg: truncation_table(),
    "clipping-table": lambda _arg: clipping_table(),
    "yaml-contract": lambda _arg: yaml_contract(),
    "example-file": example_file,
    "check-example": lambda _arg: check_example(),
}


def expand(markdown: str, where: str = "page") -> str:
    """Replace every marker in `markdown`; MarkerError names an unknown one and its page."""

    def one(match: re.Match[str]) -> str:
        name, arg = match.group(1), match.group(2)
        handler = _HANDLERS.get(name)
        if handler is None:
            raise MarkerError(
                f"unknown marker [[symbptt:{name}]]; known: {', '.join(sorted(_HANDLERS))}",
                where=where,
            )
        return handler(arg)

    return MARKER.sub(one, markdown)
