"""Counterexamples a student can act on: named sizes, the random point's values, and the text."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from symbptt.answers.files import read_submission
from symbptt.answers.grade import FileResult, _model
from symbptt.answers.instance import MAX_VALUES, instance
from symbptt.answers.judge import judge
from symbptt.answers.report import as_text, counterexample_lines, summary_line
from symbptt.answers.truth import Definitions, World
from symbptt.catalog import builtin_names, load

HERE = Path(__file__).parent / "answers"


def _verdict(file: str, ident: str):  # noqa: ANN202 - an AnswerVerdict
    sub = read_submission(HERE / file)
    (spec,) = [a for a in sub.answers if a.id == ident]
    return judge(spec, _model(sub.model))


@pytest.fixture(scope="module")
def hw_h_t():  # noqa: ANN201
    # Homework 3 (no output layer): h_t^T where h_{t-1}^T belongs, wrong already at T = 1, n = 1.
    return _verdict("homework3.yaml", "ex1b-h-t")


@pytest.fixture(scope="module")
def dl_s_t():  # noqa: ANN201
    # dl4nlp (softmax output): f'(s_t) where f'(s_k) belongs, first wrong at T = 2, k = 1, t = 2.
    return _verdict("dl4nlp.yaml", "delta-recursion-s-t")


def _sig(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def test_no_output_size_without_an_output_layer(hw_h_t) -> None:
    ce = hw_h_t.counterexample
    assert set(ce["sizes"]) == {"T", "n", "m"}  # homework 3's model has no output layer
    assert (ce["sizes"]["T"], ce["sizes"]["n"]) == (1, 1)
    assert not {"T", "n", "m", "k", "outputs"} & set(ce)  # sizes only under "sizes"


def test_output_size_is_named_and_apart_from_the_indices(dl_s_t) -> None:
    ce = dl_s_t.counterexample
    assert set(ce["sizes"]) == {"T", "n", "m", "outputs"}
    assert ce["indices"] == {"k": 1, "t": 2} and "k" not in ce
    values = ce["instance"]
    # V maps the state to the outputs, and each target has one entry per output.
    assert len(values["V"]) == ce["sizes"]["outputs"] == len(values["y_2"])
    assert len(values["U"]) == ce["sizes"]["n"] and len(values["W"][0]) == ce["sizes"]["m"]


def test_homework_counterexample_reproduced_by_hand(hw_h_t) -> None:
    # From the printed values alone: s_1 = W h_0 + U x_1, h_1 = sigma(s_1), L = a_1^T h_1.
    # The truth is dL/dW = diag(sigma'(s_1)) a_1 h_0^T; the answer has h_1^T for h_0^T.
    ce = hw_h_t.counterexample
    v = ce["instance"]
    assert v["activation"] == "sigmoid" and v["loss"] == "L_t = a_t^T h_t"
    W, U, h0, x1, a1 = (np.array(v[k]) for k in ("W", "U", "h_0", "x_1", "a_1"))
    s1 = W @ h0 + U @ x1
    h1 = _sig(s1)
    d = _sig(s1) * (1 - _sig(s1)) * a1
    np.testing.assert_allclose(np.array(ce["expected"]).reshape(1, 1), d @ h0.T, rtol=1e-4)
    np.testing.assert_allclose(np.array(ce["got"]).reshape(1, 1), d @ h1.T, rtol=1e-4)


def test_dl4nlp_counterexample_reproduced_by_hand(dl_s_t) -> None:
    # dl4nlp: s_t = U h_{t-1} + W x_t, h_t = tanh(s_t), yhat_t = softmax(V h_t),
    # E_t = -y_t^T log yhat_t, so dE_t/dz_t = yhat_t sum(y_t) - y_t. delta_{2,1} = dE_2/ds_1.
    ce = dl_s_t.counterexample
    v = ce["instance"]
    assert v["activation"] == "tanh" and ce["sizes"]["T"] == 2
    W, U, V, h0 = (np.array(v[k]) for k in ("W", "U", "V", "h_0"))
    x1, x2, y2 = (np.array(v[k]) for k in ("x_1", "x_2", "y_2"))
    h1 = np.tanh(U @ h0 + W @ x1)
    h2 = np.tanh(U @ h1 + W @ x2)
    z2 = V @ h2
    yhat = np.exp(z2 - z2.max()) / np.exp(z2 - z2.max()).sum()
    d22 = (1 - h2**2) * (V.T @ (yhat * y2.sum() - y2))  # delta_{2,2} = dE_2/ds_2
    d21 = (1 - h1**2) * (U.T @ d22)  # the truth: f'(s_1)
    slip = (1 - h2**2) * (U.T @ d22)  # the answer: f'(s_2)
    np.testing.assert_allclose(np.ravel(ce["expected"]), np.ravel(d21), rtol=1e-4)
    np.testing.assert_allclose(np.ravel(ce["got"]), np.ravel(slip), rtol=1e-4)


def test_only_the_values_an_answer_reaches() -> None:
    # Ex 1(a), y = sigma(W x) with x given: no sequence and no loss, so W and x are the instance.
    ce = _verdict("homework3.yaml", "ex1a-transposed").counterexample
    v = ce["instance"]
    assert set(v) == {"activation", "W", "x"}
    W, x = np.array(v["W"]), np.array(v["x"])
    d = _sig(W @ x) * (1 - _sig(W @ x))  # dy/dx = diag(sigma'(W x)) W; the answer has W^T
    np.testing.assert_allclose(np.array(ce["expected"]), d * W, rtol=1e-4)
    np.testing.assert_allclose(np.array(ce["got"]), d * W.T, rtol=1e-4)


@pytest.mark.parametrize("name", builtin_names())
def test_small_points_always_show_their_values(name: str) -> None:
    # T <= 2 and n <= 2, with any input size m <= 3 and output size <= 3 the judge uses.
    model = load(name)
    for T in (1, 2):
        for n in (1, 2):
            for m in (1, 2, 3):
                for k in (2, 3):
                    world = World(model, Definitions(), T=T, n=n, m=m, k=k)
                    assert instance(world) is not None, (name, T, n, m, k)


def test_large_points_leave_the_values_out() -> None:
    world = World(load("dl4nlp"), Definitions(), T=4, n=3, m=2, k=3)
    count = 3 * 2 + 3 * 3 + 3 * 3 + 3 + 4 * 2 + 4 * 3  # W, U, V, h_0, x_1..x_4, y_1..y_4
    assert count > MAX_VALUES and instance(world) is None
    lines = counterexample_lines({"sizes": {"T": 4, "n": 3}, "seed": 0}, "")
    assert lines == ["counterexample: sizes T = 4, n = 3; seed 0"]


def test_text_names_sizes_indices_and_values(hw_h_t, dl_s_t) -> None:
    text = as_text([FileResult("hw.yaml", "s", [hw_h_t.as_dict(), dl_s_t.as_dict()])])
    lines = text.splitlines()
    ces = [ln.strip() for ln in lines if ln.strip().startswith("counterexample:")]
    assert ces[0].startswith("counterexample: sizes T = 1, n = 1, m = ")
    assert "k =" not in ces[0] and "outputs" not in ces[0]
    assert "outputs = 3" in ces[1] and ces[1].endswith("indices k = 1, t = 2")
    block = [ln for ln in lines if ln.startswith("      at the values:") or ln.startswith(" " * 10)]
    values = " ".join(ln.strip() for ln in block)
    assert "at the values: activation sigmoid;" in values and "h_0 = [[" in values
    assert "loss L_t = a_t^T h_t;" in values and "y_2 = [[" in values
    assert len(block) >= 3 and all(len(ln) <= 100 for ln in block)


def test_summary_line_counts_files_then_answers() -> None:
    def answers(*verdicts: str) -> list[dict]:
        return [{"id": str(i), "verdict": v, "reason": ""} for i, v in enumerate(verdicts)]

    results = [
        FileResult("a", None, answers("correct", "wrong", "wrong")),
        FileResult("b", None, answers("correct", "wrong", "undecided")),
        FileResult("c", None, answers("correct", "wrong", "wrong", "wrong")),
        FileResult("d", None, answers()),
        FileResult("e", error="e:1: not valid YAML"),
    ]
    assert (
        summary_line(results) == "5 files, 1 unreadable; answers: 3 correct, 6 wrong, 1 undecided"
    )
    assert summary_line(results[:1]) == "1 file; answers: 1 correct, 2 wrong, 0 undecided"
