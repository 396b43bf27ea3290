"""Path sums and Jacobian products from the symbolic core, written in the text's notation.

The blog's dL_3/dW_x is a sum over three paths; each path's term is computed by
`symbptt.symbolic.gradients.path_sums` on the generic unrolled graph, and what the term carries
(how many f' factors, which power of the recurrent matrix) is read off that term, not assumed.
"""

from __future__ import annotations

from dataclasses import replace

import sympy as sp

from symbptt.builders.claims import is_builtin
from symbptt.latex.notation import Names
from symbptt.latex.statement import statement_step
from symbptt.latex.steps import Section, Step
from symbptt.model import Model, Role
from symbptt.symbolic import general


def _node(nm: Names, ascii_node: str) -> str:
    """`h_2` -> the state's LaTeX at 2, `W_x` -> the parameter's LaTeX."""
    nt = nm.model.notation
    for role in nm.model.roles:
        if nt.param(role).ascii == ascii_node:
            return nm.param(role)
    base, _, t = ascii_node.rpartition("_")
    table = {nt.state.ascii: nm.h, nt.output.ascii: nm.yhat}
    if base in table:
        return table[base](t)
    if base == nt.step_loss.ascii:
        return nm.E_t(t)
    return ascii_node


def _chain(nm: Names, nodes: list[str]) -> str:
    tex = [_node(nm, a) for a in nodes]
    return " ".join(
        f"\\frac{{\\partial {a}}}{{\\partial {b}}}" for a, b in zip(tex, tex[1:], strict=False)
    )


def _carries(u, term: sp.Expr) -> tuple[list[int], int]:  # noqa: ANN001 - an Unrolled
    """The steps whose f' appears in the term, and the degree of the recurrent matrix in it."""
    steps = sorted(
        i + 1
        for i, net in enumerate(u.net_sym)
        if any(d.has(s) for d in term.atoms(sp.Derivative) for s in net)
    )
    lam = sp.Symbol("lambda_")
    W = list(u.params[Role.RECURRENT])
    scaled = sp.expand(term.xreplace({w: lam * w for w in W}))
    return steps, sp.degree(scaled, lam) if scaled != 0 else 0


def _times(count: int) -> str:
    """'once', 'twice', '3 times'."""
    return {1: "once", 2: "twice"}.get(count, f"{count} times")


def _steps(at: list[int]) -> str:
    """'step 3', 'steps 2, 3', 'no step'."""
    if not at:
        return "no step"
    return ("step " if len(at) == 1 else "steps ") + ", ".join(map(str, at))


def paths_section(model: Model, role: Role, T: int, n: int) -> Section:
    """dE_T/dP as the sum over the paths from E_T back to P, each path's factors counted."""
    from symbptt.symbolic import gradients
    from symbptt.symbolic.unroll import unroll

    nm = Names(model)
    u = unroll(model, T, n, generic=True)
    paths = gradients.path_sums(u, role, T)
    P = nm.param(role)
    R = nm.param(Role.RECURRENT)
    chains = [_chain(nm, p.nodes) for p in paths]
    steps = []
    for p, chain in zip(paths, chains, strict=True):
        at, degree = _carries(u, p.term[0, 0])
        route = " \\to ".join(_node(nm, a) for a in p.nodes)
        steps.append(
            Step(
                f"\\text{{path }} {route}",
                chain,
                f"its term carries ${nm.f}'$ {_times(len(at))} ({_steps(at)}) "
                f"and ${R}$ to the power {degree} (read off the symbolic term's first entry)",
                relation=":",
                kind="path",
            )
        )
    total = f"\\frac{{\\partial {nm.E_t(str(T))}}}{{\\partial {P}}}"
    steps.append(
        Step(
            total,
            " + ".join(chains),
            f"the sum over all {len(paths)} paths from ${nm.E_t(str(T))}$ to ${P}$; the farthest "
            f"path multiplies the most factors ${nm.f}'$ and ${R}$, so it vanishes or explodes first",
            terms=tuple(chains),
            per_line=1,
            kind="path sum",
        )
    )
    title = f"Path sums for ${total}$ ($T = {T}$)"
    return Section(title, tuple(steps))


def jacobian_section(model: Model, T: int, n: int) -> Section:
    """dh_T/dh_1 as a product of diag(f') and the recurrent matrix, checked against the core."""
    from symbptt.symbolic import gradients
    from symbptt.symbolic.unroll import unroll

    nm = Names(model)
    R = nm.param(Role.RECURRENT)
    u = unroll(model, T, n, generic=True)
    # the product written below, built from the unrolled graph's own symbols
    W = u.params[Role.RECURRENT]
    mine = sp.eye(n)
    for i in range(T, 1, -1):
        mine = mine * sp.diag(*[u.fprime(s) for s in u.net_sym[i - 1]]) * W
    core = gradients.jacobian_product(u, T, 1)
    same = all(sp.simplify(a - b) == 0 for a, b in zip(mine, core, strict=True))
    product = " ".join(f"{nm.diag_fprime(nm.net(str(i)))} {R}" for i in range(T, 1, -1)) or "I"
    (move,) = general.transport(model)
    jac, *bounds = general.bounds(model)
    product_step = statement_step(model, general.jacobian(model))
    transport_step = statement_step(model, move)
    if is_builtin(model, "tutorial"):
        transport_step = replace(
            transport_step, reason=transport_step.reason + " (the tutorial's eq. 3)"
        )
    steps = (
        product_step,
        Step(
            f"\\frac{{\\partial {nm.h(str(T))}}}{{\\partial {nm.h('1')}}}",
            product,
            "the same product for $T = "
            + str(T)
            + "$; "
            + ("equal to" if same else "NOT equal to")
            + " the symbolic core's `jacobian_product`, checked entry by entry",
            kind="Jacobian product at T",
        ),
        transport_step,
        statement_step(model, jac),
        *(statement_step(model, b) for b in bounds),
    )
    return Section("Jacobian products: vanishing and exploding gradients", steps)
