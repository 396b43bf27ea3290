"""Concrete T and n: one step's gradient term as an explicit matrix, and the full sum over time.

The tutorial's eq. 5 writes the step-t term of the recurrent gradient as the n x n matrix with
entries delta_{t,j} s_{t-1,i}; eq. 6 sums it over time. This module writes those matrices for any
parameter role, in the model's notation and its delta convention.
"""

from __future__ import annotations

from symbptt.errors import InputError
from symbptt.latex.notation import Names
from symbptt.latex.printer import transposed
from symbptt.latex.steps import Section, Step
from symbptt.model import Model, Role

#: Largest sizes written out entry by entry: beyond these the matrices stop being readable and
#: the symbolic unrolling behind the path sums grows exponentially (design.md: T=6 for n=2).
MAX_T = 6
MAX_N = 5


def check_sizes(T: int, n: int) -> None:
    """InputError naming the limit when T or n is too large for the full expansion."""
    for key, value, limit in (("--T", T, MAX_T), ("--n", n, MAX_N)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InputError(f"{key} must be a whole number >= 1; found {value!r}")
        if value > limit:
            raise InputError(
                f"{key} {value} is too large for the full expansion (limit {key[2:]} <= {limit}); "
                "use --form general for the derivation that holds for every T and n"
            )


def error_vector(nm: Names, role: Role, t: str) -> tuple[str, str]:
    """The vector multiplying the step-t term of `role`'s gradient, and what it is."""
    model = nm.model
    if role in (Role.OUTPUT, Role.OUTPUT_BIAS):
        e = nm.output_error(t)
        return e, (
            f"${e} = \\partial {nm.E_t(t)} / \\partial {nm.z(t)}$, the output error at step ${t}$"
        )
    if model.delta == "net":
        return nm.delta(t), f"${nm.delta(t)} = \\partial {nm.E} / \\partial {nm.net(t)}$"
    if model.delta == "per_step":
        return nm.delta(t, "k"), (
            f"${nm.delta(t, 'k')} = \\partial {nm.E_t(t)} / \\partial {nm.net('k')}$; "
            f"the step-${t}$ loss reaches the parameter at every $k \\le {t}$"
        )
    nu = nm.total_error(t)
    carried = f"{nm.param(Role.RECURRENT)}^\\top {nm.total_error(f'{t}+1')}"
    if model.loss_at == "last":  # no loss before T: the local term enters at T only
        how = (
            f"${nu} = {nm.fprime(nm.net(t))} \\odot {carried}$ for ${t} < T$ and "
            f"${nm.total_error('T')} = {nm.fprime(nm.net('T'))} \\odot {nm.delta('T')}$"
        )
    else:
        how = f"${nu} = {nm.fprime(nm.net(t))} \\odot \\left({nm.delta(t)} + {carried}\\right)$"
    return nu, (
        f"${nu} = \\partial {nm.E} / \\partial {nm.net(t)}$, the total error term; the text's "
        f"${nm.delta(t)} = \\partial {nm.E_t(t)} / \\partial {nm.h(t)}$ is local, and " + how
    )


def _factor(nm: Names, role: Role, t: str, k: str) -> tuple[str, int | None]:
    """The right factor of the outer product (x_k, h_{k-1}, h_t) and its size; None for a bias."""
    s = nm.model.sizes
    if role == Role.INPUT:
        return nm.x(k), s.m
    if role == Role.RECURRENT:
        return nm.h(f"{k}-1" if not k.isdigit() else str(int(k) - 1)), None
    if role == Role.OUTPUT:
        return nm.h(t), None
    return "", 0


def entry(vec: str, idx: str) -> str:
    """Entry idx of a time-indexed vector: h_{t-1} -> h_{t-1,i}, \\bm{h}_{2} -> h_{2,i}."""
    plain = vec.replace(r"\bm{", "{")
    if "^{(" in plain:  # time as a superscript: h^{(2)} -> h^{(2)}_{i}
        return f"{plain}_{{{idx}}}"
    head, _, sub = plain.partition("_{")
    return f"{head}_{{{sub[:-1]},{idx}}}" if sub else f"{head}_{{{idx}}}"


def term_matrix(nm: Names, role: Role, t: str, n: int, m: int, k: int) -> str:
    """The step-t term of `role`'s gradient as an explicit pmatrix of products."""
    per_step = nm.model.delta == "per_step" and role not in (Role.OUTPUT, Role.OUTPUT_BIAS)
    time_k = "k" if per_step else t
    left, _ = error_vector(nm, role, t)
    right, _ = _factor(nm, role, t, time_k)
    rows = k if role in (Role.OUTPUT, Role.OUTPUT_BIAS) else n
    cols = {Role.INPUT: m, Role.RECURRENT: n, Role.OUTPUT: n}.get(role, 1)
    body = []
    for j in range(1, rows + 1):
        row = []
        for i in range(1, cols + 1):
            a = entry(left, str(j))
            row.append(a if not right else f"{a} {entry(right, str(i))}")
        body.append(" & ".join(row))
    return r"\begin{pmatrix} " + r" \\ ".join(body) + r" \end{pmatrix}"


def _outer(nm: Names, role: Role, t: str) -> str:
    per_step = nm.model.delta == "per_step" and role not in (Role.OUTPUT, Role.OUTPUT_BIAS)
    left, _ = error_vector(nm, role, t)
    right, _ = _factor(nm, role, t, "k" if per_step else t)
    return f"{left} {transposed(right)}" if right else left


def expansion_section(model: Model, role: Role, T: int, n: int) -> Section:
    """eq. 5 and eq. 6 style: the step-t term entry by entry, then the sum for t = 1..T."""
    nm = Names(model)
    P = nm.param(role)
    m, k = model.sizes.m, model.sizes.k
    per_step = model.delta == "per_step" and role not in (Role.OUTPUT, Role.OUTPUT_BIAS)
    # a term of the step-t loss (output layer, per-step delta) exists only at T when E = E_T
    last_only = model.loss_at == "last" and (per_step or role in (Role.OUTPUT, Role.OUTPUT_BIAS))
    t = "T" if last_only else nm.t
    grad_t = f"\\nabla_{{{P},{t}}} {nm.E}"
    cols = {Role.INPUT: m, Role.RECURRENT: n, Role.OUTPUT: n}.get(role, 1)
    _, what = error_vector(nm, role, t)
    loss_steps = [str(s) for s in range(1, T + 1)]
    if model.loss_at == "last" and role in (Role.OUTPUT, Role.OUTPUT_BIAS):
        loss_steps = [str(T)]
    steps: list[Step] = []
    if per_step:
        one = f"\\nabla_{{{P},{t},k}} {nm.E}"
        steps.append(
            Step(
                one,
                _outer(nm, role, t),
                f"the step-${t}$ loss through step $k$; {what}",
                kind="expansion: step term",
            )  # fmt: skip
        )
        steps.append(
            Step(
                one,
                term_matrix(nm, role, t, n, m, k),
                "the outer product entry by entry",
                kind="expansion: entries",
            )  # fmt: skip
        )
        steps.append(
            Step(
                grad_t,
                f"\\sum_{{k=1}}^{{{t}}} {_outer(nm, role, t)}",
                f"${P}$ is used at every step $k \\le {t}$ before the loss at ${t}$",
                kind="expansion: step sum",
            )
        )
        terms = tuple(
            _subst_k(term_matrix(nm, role, str(s), n, m, k), str(r))
            for s in (range(T, T + 1) if last_only else range(1, T + 1))
            for r in range(1, s + 1)
        )
        total_reason = f"the double sum over $1 \\le k \\le {t} \\le {T}$, every term written out"
        if last_only:
            total_reason = (
                f"only ${nm.E_t('T')}$ is taken: the sum over $1 \\le k \\le {T}$, every term "
                "written out"
            )
    else:
        steps.append(
            Step(
                grad_t,
                _outer(nm, role, t),
                f"the step-${t}$ term; {what}",
                kind="expansion: step term",
            )  # fmt: skip
        )
        steps.append(
            Step(
                grad_t,
                term_matrix(nm, role, t, n, m, k),
                "the outer product entry by entry",
                kind="expansion: entries",
            )  # fmt: skip
        )
        terms = tuple(term_matrix(nm, role, s, n, m, k) for s in loss_steps)
        total_reason = (
            f"${P}$ is shared by all steps, so its gradient is the sum of the step terms "
            f"for ${t} = 1, \\dots, {T}$"
        )
        if len(loss_steps) == 1 and T > 1:  # loss at the last step: the output layer sees it only
            total_reason = (
                f"the loss is taken at the last step only (${nm.E} = {nm.E_t('T')}$): ${P}$ "
                f"reaches ${nm.E_t(str(T))}$ only through ${nm.z(str(T))}$, so the step-${T}$ "
                "term is the whole gradient"
            )
    steps.append(
        Step(
            f"\\frac{{\\partial {nm.E}}}{{\\partial {P}}}",
            " + ".join(terms),
            total_reason,
            terms=terms,
            per_line=max(1, 6 // (cols + 1)),
            kind="expansion: total",
        )
    )
    title = f"The gradient of ${P}$ written out for $T = {T}$, $n = {n}$"
    return Section(title, tuple(steps))


def _subst_k(tex: str, k: str) -> str:
    """Replace the summation index k (in subscripts such as _{3,k,1} and _{k-1,2}) by a number."""
    out = tex.replace(",k,", f",{k},").replace("_{k-1,", "_{" + str(int(k) - 1) + ",")
    return out.replace("_{k,", "_{" + k + ",")
