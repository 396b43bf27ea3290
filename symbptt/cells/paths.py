"""Small-T path sums for any cell: dL_T/dP written out as the sum over the paths from L_T back to
P through the states carried across time (h and c for the LSTM), proved equal to direct
differentiation.

The unrolled graph's states form a layered graph: L_T reads h_T; each state s_i reads every state
s'_{i-1} of the step before (the step partial d s_i / d s'_{i-1}, the other states at i-1 and x_i
held fixed: `carousel.partial`'s meaning), and P is used at every step k (its immediate partial
d s_k / d P, the states at k-1 held fixed). The chain rule on that graph is

    dL_T/dP = sum_k sum_(s_T = h, s_(T-1), ..., s_k) dL_T/dh_T  prod_i ds_i/ds_(i-1)  ds_k/dP,

one path per sequence of states. Each term is computed on `symbolic.unroll`'s named graph (one
entry of P at a time, forward mode within each step), paths whose immediate partial is zero (c_k
does not read W_o) are dropped and listed, and the sum is compared exactly with `symbolic.direct`
(`symbolic.exact.same`: polynomials in the named quantities). A printer only prints the result.

With an output head (`heads.HEADS`, z_t = V h_t + c) the head's parameters V and c have path sums
too: E_T reads z_T, which reads V and c at step T (the one path E_T -> z_T -> V, the term
(dE_T/dz_T)_i h_T[j] for V[i, j]), and z_T reads h_T, from where the paths run through the carried
states as above; every state path is computed and, since no state reads V or c, listed as zero.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import sympy as sp

from symbptt.cells.cell import Cell
from symbptt.cells.heads import Head
from symbptt.cells.symbolic import HEAD_KEYS, Unrolled, direct, unroll
from symbptt.errors import InputError
from symbptt.symbolic.exact import same

__all__ = ["GatedPath", "PathSum", "path_sums"]

#: A path sum is written out up to this many steps (|states|^(T-1) paths for the farthest k).
MAX_T = 3


@dataclass(frozen=True)
class GatedPath:
    """One path from L_T to P: the states it passes, latest first, as (state, step)."""

    states: tuple[tuple[str, int], ...]
    param: str
    #: the path's term for every entry of P (P's shape), on the unrolled named graph
    term: sp.Matrix
    #: T when the path enters through the output head's z_T (E_T -> z_T -> ...), else 0
    head_step: int = 0

    @property
    def nodes(self) -> tuple[str, ...]:
        """('L_2', 'h_2', 'c_1', 'W_f'), or ('E_2', 'z_2', 'V') through a head: the path as
        names with steps."""
        T = self.head_step or self.states[0][1]
        head = (f"z_{T}",) if self.head_step else ()
        loss = "E" if self.head_step else "L"
        return (f"{loss}_{T}", *head, *(f"{s}_{i}" for s, i in self.states), self.param)

    @property
    def k(self) -> int:
        """The step where the path reaches P."""
        return self.states[-1][1] if self.states else self.head_step


@dataclass(frozen=True)
class PathSum:
    """dL_T/dP as a sum over paths, with the exact comparison against direct differentiation."""

    cell: str
    param: str
    T: int
    n: int
    paths: tuple[GatedPath, ...]
    #: paths whose immediate partial d s_k / dP is zero (s_k does not read P at step k)
    zero: tuple[tuple[tuple[str, int], ...], ...]
    #: True when the sum of the terms equals direct differentiation of L_T, entry by entry
    equal: bool


def _step_defs(u: Unrolled, i: int) -> list[tuple[sp.Symbol, sp.Expr]]:
    """Step i's named quantities (1-based) with their definitions, in evaluation order."""
    return [
        (sym, d)
        for q in u.cell.quantities
        for sym, d in zip(u.names[i - 1][q], u.defs[i - 1][q], strict=True)
    ]


def _tangent(defs: list[tuple[sp.Symbol, sp.Expr]], seed: sp.Symbol) -> dict[sp.Symbol, sp.Expr]:
    """Forward mode through one step's definitions from one seed (a state at i-1 or a
    parameter entry): d(name)/d(seed) for every name it reaches; the definitions' own names
    written back (sigma' as sigma (1 - sigma)), as `symbolic.direct` writes them."""
    tan: dict[sp.Symbol, sp.Expr] = {seed: sp.S.One}
    for sym, d in defs:
        terms = [sp.diff(d, s).xreplace({d: sym}) * tan[s] for s in d.free_symbols if s in tan]
        terms = [t for t in terms if t != 0]
        if terms:
            tan[sym] = sp.Add(*terms)
    return tan


def _prev(u: Unrolled, i: int, s: str) -> sp.Matrix:
    """s_{i-1}'s symbols as step i reads them."""
    return u.names[i - 2][s] if i > 1 else u.states0[s]


def _step_jacobian(u: Unrolled, i: int, of: str, wrt: str) -> sp.Matrix:
    """d of_i / d wrt_{i-1}, the other states at i-1 and x_i held fixed (n x n)."""
    defs = _step_defs(u, i)
    J = sp.zeros(u.n, u.n)
    for b, seed in enumerate(_prev(u, i, wrt)):
        tan = _tangent(defs, seed)
        for a, sym in enumerate(u.names[i - 1][of]):
            J[a, b] = tan.get(sym, sp.S.Zero)
    return J


def _immediate(u: Unrolled, k: int, of: str, param: str) -> list[sp.Matrix]:
    """d of_k / d P_e for every entry e of P at step k only (the states at k-1 held fixed)."""
    defs = _step_defs(u, k)
    out = []
    for p in u.all_params[param]:
        tan = _tangent(defs, p)
        out.append(sp.Matrix([tan.get(sym, sp.S.Zero) for sym in u.names[k - 1][of]]))
    return out


def path_sums(
    cell: Cell,
    param: str,
    T: int,
    n: int = 2,
    m: int | None = None,
    *,
    head: Head | None = None,
    k: int = 2,
) -> PathSum:
    """Every path from L_T to the cell parameter `param` at T steps and n units (T <= MAX_T),
    and whether their sum equals direct differentiation of L_T exactly. With an output `head`
    (k outputs) `param` may also be the head's V or c, and the loss is the head's E_T."""
    head = head if head is not None and head.has_output_layer else None
    keys = [*cell.param_keys, *(HEAD_KEYS if head is not None else ())]
    if param not in keys:
        raise InputError(
            f"{param!r} is not a parameter of cell {cell.name!r}; its parameters are "
            f"{', '.join(keys)}"
        )
    if not 1 <= T <= MAX_T:
        raise InputError(f"T={T}: path sums are written out for 1 <= T <= {MAX_T}")
    own = head if param in HEAD_KEYS else None  # a cell parameter's sums: the generic L_T
    u = unroll(cell, T, n, m, loss_at="last", head=own, k=k)
    g = u.dloss[T - 1]  # dL_T/dh_T, or dE_T/dz_T with the head (free symbols)
    h = cell.readout
    jac: dict[tuple[int, str, str], sp.Matrix] = {}
    imm: dict[tuple[int, str], list[sp.Matrix]] = {}
    paths: list[GatedPath] = []
    zero: list[tuple[tuple[str, int], ...]] = []
    P = u.all_params[param]
    shape = P.shape
    top = g.T
    if own is not None:  # E_T -> z_T -> P at step T, and z_T -> h_T -> the states
        zT = u.zdefs[T - 1]
        cols = [sp.Matrix([sp.diff(e, p) for e in zT]) for p in P]
        term = sp.Matrix(shape[0], shape[1], [(g.T * col)[0, 0] for col in cols])
        paths.append(GatedPath((), param, term, head_step=T))
        top = g.T * zT.jacobian(u.names[T - 1][h])  # dE_T/dz_T V
    for k in range(T, 0, -1):
        for middle in itertools.product(cell.states, repeat=T - k):
            seq = (h, *middle)  # the states at T, T-1, ..., k
            states = tuple((s, T - j) for j, s in enumerate(seq))
            if (k, seq[-1]) not in imm:
                imm[(k, seq[-1])] = _immediate(u, k, seq[-1], param)
            parts = imm[(k, seq[-1])]
            if all(v == 0 for col in parts for v in col):
                zero.append(states)
                continue
            row = top
            for j in range(len(seq) - 1):
                i = T - j
                key = (i, seq[j], seq[j + 1])
                if key not in jac:
                    jac[key] = _step_jacobian(u, i, seq[j], seq[j + 1])
                row = row * jac[key]
            term = sp.Matrix(shape[0], shape[1], [(row * col)[0, 0] for col in parts])
            paths.append(GatedPath(states, param, term, head_step=T if own else 0))
    want = direct(u)[param]
    total = sum((p.term for p in paths), sp.zeros(*shape))
    equal = not same(sp.Matrix(list(total)), sp.Matrix(list(want)))
    return PathSum(cell.name, param, T, n, tuple(paths), tuple(zero), equal)
