"""The written-out per-step matrices are the symbolic core's BPTT terms, entry by entry.

Each printed entry such as delta_{2,1} h_{1,2} is parsed back into symbols by the model's own
letters (delta / nu / epsilon for the error vectors, the state and input letters for the right
factor), those are replaced by the unrolled graph's quantities, and the resulting matrix must equal
`gradients.bptt(u, role).terms[i]` exactly.
"""

from __future__ import annotations

import re

import pytest
import sympy as sp

from symbptt import catalog
from symbptt.builders.vanilla import build
from symbptt.model import Role
from symbptt.symbolic import gradients
from symbptt.symbolic.exact import same
from symbptt.symbolic.unroll import unroll

T, N = 3, 2
_TOKEN = re.compile(r"(\\?[A-Za-z]+|\\hat\{[a-z]\}|\\bar\{[a-z]\})_\{([0-9,]+)\}")


def _matrices(tex: str) -> list[list[list[str]]]:
    """The entries of every pmatrix in a sum of pmatrices."""
    out = []
    for body in re.findall(r"\\begin\{pmatrix\}(.*?)\\end\{pmatrix\}", tex):
        out.append([[e.strip() for e in row.split("&")] for row in body.split(r"\\")])
    return out


def _value(u, b, base: str, idx: tuple[int, ...]) -> sp.Expr:  # noqa: ANN001
    """The graph quantity a printed scalar names: base letter and indices (time..., entry)."""
    nt = u.model.notation
    *time, j = idx
    if base == nt.delta.latex and len(time) == 2:  # per_step delta_{t,k}
        return b.deltas[b.delta_labels.index(tuple(time))][j - 1]
    if base == nt.delta.latex:  # the model's convention: dE/dnet_t, or the local dL_t/dh_t
        return b.deltas[b.delta_labels.index(tuple(time))][j - 1]
    if base == r"\nu":  # the total error term the homework's local delta is not
        return b.total_deltas[time[0] - 1][j - 1]
    if base == r"\varepsilon":
        return b.output_errors[time[0] - 1][j - 1]
    if base == nt.state.latex:
        return u.h0[j - 1] if time[0] == 0 else u.h_sym[time[0] - 1][j - 1]
    if base == nt.input.latex:
        return u.xs[time[0] - 1][j - 1]
    raise AssertionError(f"unknown symbol {base}_{idx}")


def _entry(u, b, tex: str) -> sp.Expr:  # noqa: ANN001
    tex = re.sub(r"\^\{\(([0-9,]+)\)\}_\{([0-9]+)\}", r"_{\1,\2}", tex)  # h^{(2)}_{1}: h_{2,1}
    factors = _TOKEN.findall(tex)
    assert factors and len("".join(f"{a}_{{{i}}}" for a, i in factors)) == len(tex.replace(" ", ""))
    out = sp.Integer(1)
    for base, idx in factors:
        out *= _value(u, b, base, tuple(int(i) for i in idx.split(",")))
    return out


@pytest.mark.parametrize("name", catalog.builtin_names())
def test_written_out_terms_are_the_cores_bptt_terms(name: str) -> None:
    model = catalog.load(name)
    d = build(model, T, N, form="bptt", checks=False)
    u = unroll(model, T, N, generic=True)
    for role in model.roles:
        (sec,) = [
            s
            for s in d.sections
            if s.title.startswith(f"The gradient of ${model.notation.param(role).latex}$")
        ]
        total = sec.steps[-1]
        b = gradients.bptt(u, role)
        printed = [_matrices(t) for t in total.terms]
        assert [len(p) for p in printed] == [1] * len(b.terms), (name, role)
        for (mat,), term, label in zip(printed, b.terms, b.term_labels, strict=True):
            got = sp.Matrix([[_entry(u, b, e) for e in row] for row in mat])
            assert got.shape == term.shape, (name, role, label)
            assert same(got, term) == [], (name, role, label)


def test_the_check_can_fail() -> None:
    # a matrix transposed by mistake (entries h_{t-1,j} delta_{t,i}) is caught
    model = catalog.load("tutorial")
    u = unroll(model, 2, 2, generic=True)
    b = gradients.bptt(u, Role.RECURRENT)
    wrong = sp.Matrix(2, 2, lambda j, i: _entry(u, b, f"\\delta_{{2,{i + 1}}} s_{{1,{j + 1}}}"))
    assert same(wrong, b.terms[1]) != []
