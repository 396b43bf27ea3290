"""Fuzzing the answer grammar: random strings of its own tokens and random nesting.

Whatever a student writes, `judge` returns a verdict (correct, wrong or undecided) within the
per-answer time limit: never an exception, never an "internal error" reason. Answers are judged
in this process (a crash surfaces as the exception itself), under an alarm that fails the test
if one answer runs past the limit.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symbptt.answers.judge import AnswerSpec, judge
from symbptt.answers.limits import WALL_SECONDS
from symbptt.catalog import load
from symbptt.mathtext.grammar import FUNCTIONS, GREEK
from symbptt.mathtext.limits import MAX_DEPTH

#: Fuzzing runs in the full suite (the quick subset's budget, CONTRIBUTING.md).
pytestmark = pytest.mark.slow

#: SYMBPTT_FUZZ_SCALE=10 runs ten times the examples (a longer search than CI's).
SCALE = int(os.environ.get("SYMBPTT_FUZZ_SCALE", "1"))
# The grammar's own terminals (see symbptt.mathtext.grammar.GRAMMAR), plus the layout commands
# that `normalise` removes and a few commands it must refuse.
SYMBOLS = ["+", "-", "/", "*", "=", "(", ")", "[", "]", "{", "}", "^", "_", ",", "'", "&",
           "\\\\", "<", ">", "|", "\\|", ".", ";", " "]  # fmt: skip
COMMANDS = [
    "\\le", "\\ge", "\\leq", "\\geq", "\\lt", "\\gt", "\\approx", "\\equiv", "\\max", "\\min",
    "\\lVert", "\\rVert", "\\lvert", "\\rvert", "\\infty", "\\odot", "\\circ", "\\otimes",
    "\\cdot", "\\times", "\\sum", "\\prod", "\\partial", "\\nabla", "\\frac", "\\dfrac",
    "\\top", "\\intercal", "\\hat", "\\tilde", "\\bar", "\\prime", "\\left", "\\right", "\\,",
    "\\quad", "\\mathbf", "\\begin{bmatrix}", "\\end{bmatrix}", "\\begin{pmatrix}",
    "\\end{pmatrix}", "\\operatorname{diag}", "\\mathrm{diag}", "\\text{for}", "\\{", "\\}",
    "\\input", "\\def", "\\unknowncommand",
]  # fmt: skip
NUMBERS = ["0", "1", "2", "30", "0.9", "0.4", "-0.6", ".5", "1e5", "1e-400", "2.5E+3",
           "1.153\\times10^{-12}", "3\\times 10^{400}", "10^{12}", "9/10", "123456789"]  # fmt: skip
LETTERS = list("abhstxyzkijnTWUVLEcfgo")
TOKENS = (
    SYMBOLS
    + COMMANDS
    + NUMBERS
    + LETTERS
    + [f"\\{g}" for g in GREEK]
    + [f"\\{f}" for f in FUNCTIONS]
    + ["h_t", "h_{t-1}", "x_t", "W_{hh}", "W_{xh}", "\\delta_t", "\\sigma'", "s_t", "L_t"]
)
ALLOWED = {"correct", "wrong", "undecided"}
# Judging a parsed answer evaluates it at up to 24 instances: allow the wall-clock limit the
# worker pool applies, plus slack for this shared machine.
LIMIT = WALL_SECONDS * 2

MODELS = [None, "homework3", "elman"]


class _PastTheLimit(Exception):
    pass


@contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    """Fail (instead of hanging) when the block runs past `seconds`."""

    def _ring(signum, frame):  # noqa: ANN001, ANN202, ARG001
        raise _PastTheLimit(f"judging took more than {seconds} s")

    old = signal.signal(signal.SIGALRM, _ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


_LOADED: dict[str, object] = {}


def _model(name: str | None) -> object:
    if name is None:
        return None
    if name not in _LOADED:
        _LOADED[name] = load(name)
    return _LOADED[name]


def judged(spec: AnswerSpec, model_name: str | None) -> None:
    """Judge one answer in-process; assert a clean verdict within the time limit."""
    start = time.perf_counter()
    with _alarm(LIMIT):
        verdict = judge(spec, _model(model_name))  # type: ignore[arg-type]
    seconds = time.perf_counter() - start
    assert verdict.verdict in ALLOWED, verdict
    assert "internal error" not in verdict.reason, (spec, verdict.reason)
    assert "Traceback" not in verdict.reason
    assert seconds < LIMIT, (spec.answer, seconds)


tokens = st.lists(st.sampled_from(TOKENS), min_size=1, max_size=30).map(" ".join)


@settings(max_examples=150 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=tokens, model=st.sampled_from(MODELS))
def test_random_token_strings(text: str, model: str | None) -> None:
    judged(AnswerSpec("fuzz", text), model)


@settings(max_examples=60 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.lists(st.sampled_from(TOKENS), min_size=1, max_size=12).map("".join),
       model=st.sampled_from(MODELS))  # fmt: skip
def test_random_token_strings_without_spaces(text: str, model: str | None) -> None:
    judged(AnswerSpec("fuzz", text), model)


# ------------------------------------------------------------------------ random nesting

ATOMS = NUMBERS + LETTERS + ["h_t", "h_{t-1}", "x_t", "W", "W_{hh}", "\\delta_t", "s_t", "T", "n"]
# One level of nesting around one or two sub-expressions: (arity, template).
WRAPPERS = [
    (1, "({0})"), (1, "\\left( {0} \\right)"), (2, "\\frac{{{0}}}{{{1}}}"), (2, "{{{0}}}^{{{1}}}"),
    (2, "{0}_{{{1}}}"), (2, "{0} + {1}"), (2, "{0} - {1}"), (2, "{0} {1}"), (2, "{0} \\odot {1}"),
    (2, "{0} \\cdot {1}"), (1, "\\sum_{{t=1}}^{{T}} {0}"), (1, "\\prod_{{k=1}}^{{t}} {0}"),
    (1, "\\sum_t {0}"), (1, "\\frac{{\\partial {0}}}{{\\partial W}}"), (1, "\\|{0}\\|_2"),
    (1, "\\left\\lVert {0} \\right\\rVert"), (1, "|{0}|"), (1, "\\sigma({0})"),
    (1, "\\sigma'({0})"), (1, "\\tanh({0})"), (1, "\\operatorname{{diag}}({0})"), (1, "\\rho({0})"),
    (1, "\\max_i {0}"), (1, "{0}^\\top"), (1, "{0}^{{-1}}"), (1, "{0}^{{30}}"),
    (2, "\\begin{{bmatrix}} {0} & {1} \\\\ {1} & {0} \\end{{bmatrix}}"), (2, "{0} \\le {1}"),
]  # fmt: skip


def build(choices: list[int], depth_limit: int) -> str:
    """An expression nested up to depth_limit deep, every choice taken from `choices` in turn."""
    it = iter(choices)

    def node(depth: int) -> str:
        c = next(it, 0)
        if depth >= depth_limit or c % 4 == 0:
            return ATOMS[c % len(ATOMS)]
        arity, template = WRAPPERS[c % len(WRAPPERS)]
        return template.format(*(node(depth + 1) for _ in range(arity)))

    return node(0)


nested = st.builds(
    build, st.lists(st.integers(0, 10_000), min_size=1, max_size=40), st.integers(1, 8)
)


@settings(max_examples=80 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lhs=nested, rhs=nested, model=st.sampled_from(MODELS))
def test_random_nesting(lhs: str, rhs: str, model: str | None) -> None:
    judged(AnswerSpec("fuzz", f"{lhs} = {rhs}"), model)


@settings(max_examples=40 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    answer=nested,
    name=st.sampled_from(["W", "A", "\\Lambda", "Q", "y", "\\beta_W"]),
    value=nested,
    where_value=nested,
)
def test_random_given_and_where(answer: str, name: str, value: str, where_value: str) -> None:
    spec = AnswerSpec(
        "fuzz", f"{name} = {answer}", given={name: value}, where={"\\delta_t": where_value}
    )
    judged(spec, "homework3")


@pytest.mark.parametrize("depth", [MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1, 5 * MAX_DEPTH])
@pytest.mark.parametrize("opener", ["(", "{", "\\frac{1}{", "\\left(", "\\sqrt{"])
def test_deep_nesting_is_a_verdict(depth: int, opener: str) -> None:
    closer = {"(": ")", "{": "}", "\\frac{1}{": "}", "\\left(": "\\right)", "\\sqrt{": "}"}[opener]
    judged(AnswerSpec("deep", "x = " + opener * depth + "x" + closer * depth), "homework3")


def test_long_chains_and_sums_stay_within_the_limit() -> None:
    judged(AnswerSpec("long", " = ".join(["h_t"] * 200)), "homework3")
    judged(AnswerSpec("sum", "\\sum_{t=1}^{T} " * 30 + "h_t = 0"), "homework3")
    judged(AnswerSpec("pow", "W" + "^{30}" * 30 + " = W"), "homework3")
