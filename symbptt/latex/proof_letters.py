"""The step-lemma proof's claims worded in a text's LaTeX letters (the printing side of the proof).

`symbolic.steplemma.prove` returns ASCII claims with what each says as data (`Claim`: kind,
case, role, delta, meaning, output-lemma form); `labels` words every claim as prose with `$...$`
math in the model's names, for documents. The claim kinds are the strings steplemma defines.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from symbptt.latex.notation import Names
from symbptt.latex.printer import vector
from symbptt.model import Model, Role

__all__ = ["labels", "tex_letters", "vector_gt_T"]

#: What a delta is claimed to equal (steplemma's TOTAL, LOCAL, REST, STATE), in LaTeX.
_MEANING_TEX = {
    "dE_>=t/dnet_t": r"\partial {ge} / \partial {net}",
    "dE_t/dnet_t": r"\partial {Et} / \partial {net}",
    "dE_>t/dnet_t": r"\partial {gt} / \partial {net}",
    "dE_t/dh_t": r"\partial {Et} / \partial {h}",
}
#: A delta of the model's own rule (steplemma.delta_kinds) -> its key in `tex_letters`.
_DELTA_TEX = {"t": "delta_t", "tt": "delta_tt", "tk": "delta_tk", "total": "total"}


def tex_letters(model: Model) -> dict[str, str]:
    """The LaTeX pieces of the proof's claims in the model's names (loss of steps >= t, ...)."""
    nm = Names(model)
    loss = model.notation.loss
    return {
        "ge": vector(loss, r"\ge t"),
        "gt": vector(loss, ">t"),
        "Et": nm.E_t("t"),
        "E": nm.E,
        "h": nm.h("t"),
        "hp": nm.h("t-1"),
        "net": nm.net("t"),
        "z": nm.z("t"),
        "R": nm.param(Role.RECURRENT),
        "diag": nm.diag_fprime(nm.net("t")),
        "yhat": nm.yhat("t"),
        "y": nm.y("t"),
        "yj": nm.y("t,j"),
        "delta_t": nm.delta("t"),
        "delta_tt": nm.delta("t", "t"),
        "delta_tk": nm.delta("t", "k"),
        "total": nm.total_error("t"),
    }


def vector_gt_T(model: Model) -> str:
    """The loss after the last step, E_{>T}, in the model's LaTeX."""
    return vector(model.notation.loss, ">T")


def _heading(case: str, generic: bool, x: Mapping[str, str]) -> str:
    arb = "arbitrary" if generic else "arbitrary gradients of"
    an = "an " if generic else ""
    if case == "base":
        return f"base case $T = 1$ ({an}{arb} per-step loss ${x['Et']}$)"
    how = f"{an}{arb} per-step loss ${x['Et']}$ and the loss of later steps ${x['gt']}$"
    at = "step, loss at $t$" if case == "step" else "step, no loss at $t < T$"
    return f"{at} ({how})"


def label(model: Model, claim: Any, x: Mapping[str, str] | None = None) -> str:
    """One claim (a steplemma `Claim`) as prose with `$...$` math in the model's LaTeX names."""
    x = tex_letters(model) if x is None else x
    kind = claim.kind
    if kind in ("adjoint", "param", "delta"):
        head = _heading(claim.case, claim.generic, x)
        if kind == "adjoint":
            return f"{head}: $\\partial {x['ge']} / \\partial {x['hp']}$ = the rule's adjoint"
        if kind == "param":
            P = model.notation.param(claim.role).latex
            return (
                f"{head}: $\\partial {x['ge']} / \\partial {P}$ = the rule's step-$t$ term + "
                f"$\\partial {x['gt']} / \\partial {P}$ at fixed ${x['h']}$"
            )
        says = _MEANING_TEX[claim.meaning].format(**x)
        if claim.which in _DELTA_TEX:
            return f"{head}: ${x[_DELTA_TEX[claim.which]]} = {says}$"
        return f"{head}: `{claim.delta}` = ${says}$"
    if kind == "jacobian":
        return f"cell Jacobian: $\\partial {x['h']} / \\partial {x['hp']} = {x['diag']} {x['R']}$"
    if kind == "output":
        rhs = f"{x['yhat']} - {x['y']}"
        if claim.form == "summed":
            rhs = f"{x['yhat']} \\sum_{{j}} {x['yj']} - {x['y']}"
        what = f"{claim.output} output and {claim.loss.replace('_', ' ')}"
        return f"output lemma: $\\partial {x['Et']} / \\partial {x['z']} = {rhs}$ for {what} ($k = {claim.k}$)"
    if kind == "induction":
        return (
            f"induction on $t$ from $T$ down to 1: after step $T$, ${vector_gt_T(model)} = 0$; the "
            f"step gives the claims at $t$ from those at $t+1$ for any ${x['gt']}$; so the gradient "
            f"of ${x['E']}$ is the sum over $t$ of the rule's step-$t$ terms, for every $T$"
        )
    raise ValueError(f"unknown claim kind {kind!r}")


def labels(model: Model, proof: Any) -> dict[str, str]:
    """Every claim of a steplemma `Proof` -> its LaTeX wording ({} for a proof without data)."""
    x = tex_letters(model)
    return {c: label(model, data, x) for c, data in getattr(proof, "claims", {}).items()}
