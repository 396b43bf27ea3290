"""The bounds' constants derive prints, read as derive defines them (symbolic/general.py).

`derive` prints ||dh_t/dh_k|| <= (beta_W beta_f)^{t-k} with beta named after the model's
recurrent matrix and activation (beta_{W_{hh}}, beta_{W_h}, beta_U, beta_W; beta_f, beta_sigma):
beta_W is ||W||, the spectral norm of the recurrent matrix, and beta_f is the largest |f'| of the
activation (1/4 for the logistic sigmoid, 1 for tanh, ReLU and the identity). An answer that uses
such a beta without defining it under `given:`/`where:` gets that definition; a beta of any other
name stays unknown (undecided). Nothing here evaluates text: it adds AST nodes.
"""

from __future__ import annotations

from fractions import Fraction

from symbptt.answers.evaluate import compound_key
from symbptt.answers.truth import Definitions, name_keys
from symbptt.cells.functions import FUNCTIONS, numeric_name
from symbptt.mathtext.ast import Node, Norm, Num, Sym, walk
from symbptt.model import Model, Role

#: The largest |f'| of each activation, from the function table's bound, as derive prints it
#: (a generic f runs as the table's stand-in, tanh, so its bound is tanh's).
BETA_F = {name: str(FUNCTIONS[numeric_name(name)].bound) for name in FUNCTIONS}


def add_betas(defs: Definitions, model: Model | None, roots: list[Node]) -> list[str]:
    """Define (in place) each beta the answer uses as derive prints it; the notes for the reason."""
    if model is None or model.is_gated:
        return []
    nt = model.notation
    rec = nt.param(Role.RECURRENT)
    rec_keys, act_keys = name_keys(rec), name_keys(nt.activation)
    notes: list[str] = []
    for root in roots:
        for node in walk(root):
            if not (isinstance(node, Sym) and node.name == "\\beta" and len(node.index) == 1):
                continue
            flat = compound_key(node.index[0])
            key = f"\\beta_{flat}"
            if flat is None or key in defs.names():
                continue
            if flat in rec_keys:
                defs.given[key] = ((), Norm(_name_node(flat)), None)
                notes.append(f"\\beta_{{{rec.latex}}} = \\|{rec.latex}\\| (the spectral norm)")
            elif flat in act_keys and model.activation in BETA_F:
                value = BETA_F[model.activation]
                defs.given[key] = ((), Num(Fraction(value), value), None)
                notes.append(f"\\beta_{{{nt.activation.latex}}} = {value} (the largest |f'|)")
    if not notes:
        return []
    return [f"read as derive defines it: {', '.join(sorted(set(notes)))}"]


def _name_node(key: str) -> Sym:
    """W_hh -> W_{hh} as the evaluator reads a compound name; W -> W."""
    base, _, sub = key.partition("_")
    return Sym(base, (Sym(sub),)) if sub else Sym(base)
