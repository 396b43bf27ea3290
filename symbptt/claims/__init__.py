"""The source texts' claims and their verdicts, computed: answer files plus the other modules' checks.

Claims an answer can state are in derivations/claims/<text>.yaml and judged by `symbptt check`
(`graded`); the rest (matrix powers, derivative and norm bounds, clipping, the LSTM exercise) are
computed by eigen, flow, engine, verify and the cells package (`computed`, `lstm_checks`); a
claim in both (homework 3's LSTM direct path, claims/gated/homework3.yaml) is confirmed by both. Claims nothing can
state yet are listed in NOT_EXPRESSIBLE and reported undecided, with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from symbptt.claims.computed import (
    clipping,
    delta_norm_bound,
    derivative_bound,
    explodes_large_wh,
    jacobian_vanishing,
    power_by_factors,
    powers_vanish_or_explode,
    unit_eigenvalues,
    upstream_backward,
)
from symbptt.claims.graded import CLAIMS_DIR, claim_file, graded
from symbptt.claims.lstm_checks import lstm_direct_path, lstm_forget_one, lstm_gates, lstm_negative
from symbptt.claims.result import TEXTS, ClaimList, ClaimResult

__all__ = [
    "CLAIMS_DIR",
    "NOT_EXPRESSIBLE",
    "TEXTS",
    "ClaimList",
    "ClaimResult",
    "all_claims",
    "claim_file",
    "claims",
]

# (text, id, statement, why no answer file or module can check it yet)
NOT_EXPRESSIBLE: tuple[tuple[str, str, str, str], ...] = (
    ("tutorial", "eq6-proof",
     "proof of eq. 6 with the 4-D tensor dW/dW: grad_W E = grad_{W,t} E + delta_{t-1}^T "
     "dnet_{t-1}/dW = ...",
     "dnet_{t-1}/dW is a vector-by-matrix (3-D) tensor contracted with delta; the answer grammar "
     "has matrices and vectors only (its result, eq. 6, is checked)"),
    ("tutorial", "remedies",
     "remedies: good initialisation, ReLU, LSTM/GRU; gradient clipping for explosion",
     "advice, not an equation (clipping's rescaling is checked as dl4nlp clip-global-norm)"),
    ("homework3", "ex2a",
     "the written T = 3 expansion of dL_1/dW, dL_2/dW, dL_3/dW (garbled: terms repeat, wrong "
     "indices)",
     "the homework's written solution is not quoted in our sources (only described as "
     "garbled); writing it down would mean inventing its errors"),
    ("dl4nlp", "remedies",
     "remedies: ReLU/PReLU, identity initialisation of U, LSTM",
     "advice, not an equation"),
)  # fmt: skip


_COMPUTED: dict[str, tuple[Callable[[], ClaimResult], ...]] = {
    "tutorial": (delta_norm_bound,),
    "course-notes": (upstream_backward,),
    "blog": (
        lambda: jacobian_vanishing("blog", "vanishing-small-Wh", "sigmoid",
                                   "the farthest path vanishes for small W_h"),
        explodes_large_wh,
    ),  # fmt: skip
    "homework3": (
        power_by_factors,
        powers_vanish_or_explode,
        unit_eigenvalues,
        lambda: derivative_bound("homework3", "sigmoid-prime", ("sigmoid",)),
        lstm_gates,
        lstm_negative,
        lstm_direct_path,
        lstm_forget_one,
    ),
    "dl4nlp": (
        lambda: derivative_bound("dl4nlp", "activation-prime", ("tanh", "sigmoid")),
        lambda: jacobian_vanishing("dl4nlp", "product-vanishes", "tanh",
                                   "dh_t/dh_k = prod U^T diag f'(s_i) vanishes unless ||U|| is large"),
        clipping,
    ),
}  # fmt: skip


def _not_expressible(text: str) -> list[ClaimResult]:
    return [
        ClaimResult(t, i, s, "undecided", f"not expressible yet: {why}", None, "")
        for t, i, s, why in NOT_EXPRESSIBLE
        if t == text
    ]


def _collect(texts: Sequence[str]) -> ClaimList:
    for t in texts:
        claim_file(t)
    judged = graded(texts)
    out = ClaimList()
    for t in texts:
        out += _joined([c for c in judged if c.text == t], [f() for f in _COMPUTED.get(t, ())])
        out += _not_expressible(t)
    return out


def _joined(checked: list[ClaimResult], computed: list[ClaimResult]) -> list[ClaimResult]:
    """Both lists; a claim judged by `symbptt check` AND computed (ex3-direct-path) is one claim,
    confirmed only if both confirm, with both reasons."""
    by_id = {c.id: c for c in computed}
    out = []
    for c in checked:
        other = by_id.pop(c.id, None)
        if other is None:
            out.append(c)
            continue
        verdict = c.verdict if c.verdict == other.verdict else "undecided"
        reason = f"{c.checked_by}: {c.reason}. {other.checked_by}: {other.reason}"
        if c.verdict != other.verdict:
            reason = f"the two checks disagree ({c.verdict} / {other.verdict}): {reason}"
        out.append(ClaimResult(c.text, c.id, c.statement, verdict, reason,
                               c.counterexample or other.counterexample,
                               f"{c.checked_by} + {other.checked_by}"))  # fmt: skip
    return out + [c for c in computed if c.id in by_id]


def claims(text: str) -> ClaimList:
    """Every claim of one source text with its verdict (answer file, computed, not expressible)."""
    return _collect([text])


def all_claims() -> ClaimList:
    """Every claim of every source text, the answer files graded in one run."""
    return _collect(list(TEXTS))
