"""The pieces of the code checker: slip loops, comparison, API inference, report, exit codes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from symbptt.codecheck import apis, slips
from symbptt.codecheck.compare import diff
from symbptt.codecheck.instances import instances
from symbptt.codecheck.judge import FileResult, FunctionResult, OutputResult
from symbptt.codecheck.report import as_json, as_text, exit_code, summary_csv
from symbptt.errors import InputError


@pytest.mark.parametrize("api", apis.APIS)
def test_slip_free_loops_equal_the_compat_references(api):
    """slips.py is loop code, compat is the engine: two computations of the same numbers."""
    reg = apis.Registry()
    for inst in instances():
        for ch in apis.checks(api, inst, reg):
            want = ch.variant(())
            assert set(want) == set(ch.expected), ch.fn
            for k, v in ch.expected.items():
                np.testing.assert_allclose(
                    want[k], v, rtol=1e-10, atol=1e-12, err_msg=f"{ch.fn} {k}"
                )


@pytest.mark.parametrize("key", ["no_prev", "overwrite", "tanh_tanh", "pre_act",
                                 "transpose_back", "transpose_fwd", "transpose_dW", "wrong_length",
                                 "gates:ifgo", "gates:fiog", "gates:gofi"])  # fmt: skip
def test_every_searched_slip_changes_some_output(key):
    reg = apis.Registry()
    changed = False
    for inst in instances():
        for ch in apis.checks("cs231n", inst, reg):
            if ch.kind in slips.SLIPS[key].where:
                want = ch.variant((key,))
                changed |= any(not diff(ch.expected[k], want[k]).ok for k in want)
    assert changed


def test_no_prev_and_overwrite_by_hand():
    inst = instances()[0]
    U, W, b, xs, h0, dh = inst.U, inst.W, inst.b, inst.xs, inst.h0, inst.dh
    hs = []
    prev = h0
    for t in range(inst.T):
        prev = np.tanh(xs[t] @ U.T + prev @ W.T + b)
        hs.append(prev)
    # without the gradient from step t+1, delta_t = dh_t (1 - h_t^2) and dW sums delta_t^T h_{t-1}
    deltas = [dh[t] * (1 - hs[t] ** 2) for t in range(inst.T)]
    dW = sum(deltas[t].T @ (h0 if t == 0 else hs[t - 1]) for t in range(inst.T))
    g = slips.backward(U, W, b, xs, h0, dh, ("no_prev",))
    np.testing.assert_allclose(g["dW"], dW, rtol=1e-12)
    np.testing.assert_allclose(g["dh0"], deltas[0] @ W, rtol=1e-12)
    # overwriting keeps only the term of t = 0, the last one a reversed loop computes
    carry = np.zeros_like(h0)
    for t in reversed(range(inst.T)):
        d = (dh[t] + carry) * (1 - hs[t] ** 2)
        carry = d @ W
    g = slips.backward(U, W, b, xs, h0, dh, ("overwrite",))
    np.testing.assert_allclose(g["dW"], d.T @ h0, rtol=1e-12)
    np.testing.assert_allclose(g["dU"], d.T @ xs[0], rtol=1e-12)
    np.testing.assert_allclose(g["dh0"], carry, rtol=1e-12)


def test_diff_names_entry_numbers_and_transposed_shapes():
    e = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    g = e.copy()
    g[1, 2] = 3.0
    d = diff(e, g)
    assert not d.ok and d.entry == (1, 2) and d.expected == 6.0 and d.got == 3.0
    assert d.max_rel_error == pytest.approx(0.5)
    assert diff(e, e + 1e-12).ok
    d = diff(e, e.T)
    assert not d.ok and "transpose" in d.note and d.max_rel_error is None
    g[0, 0] = np.nan
    assert diff(e, g).max_rel_error == np.inf


def test_infer_api():
    cs = "def rnn_step_forward(x, prev_h, Wx, Wh, b):\n    pass\n"
    dl = "def rnn_forward(x, a0, parameters):\n    Wax = parameters['Wax']\n"
    cn = "def rnn_forward(x, s0, parameters):\n    U = parameters['U']\n"
    assert apis.infer_api(cs, "f") == "cs231n"
    assert apis.infer_api(dl, "f") == "dlai"
    assert apis.infer_api(cn, "f") == "course-notes"
    assert apis.infer_api("def rnn_forward(x, h0, Wx, Wh, b):\n    pass\n", "f") == "cs231n"
    assert apis.infer_api(dl + "def broken(:\n", "f") == "dlai"  # from the text when it won't parse
    with pytest.raises(InputError, match="pass --api"):
        apis.infer_api("def rnn_forward(x, y, z):\n    pass\n", "f.py")
    with pytest.raises(InputError, match="defines none"):
        apis.infer_api("x = 1\n", "f.py")


def _result(verdict: str, err: float | None = 0.5) -> FileResult:
    out = OutputResult("dx", verdict, err, [0, 1], 1.0, 2.0)
    return FileResult(
        "s.py", "s", "cs231n", [FunctionResult("rnn_forward", verdict, "r", None, [out])]
    )


def test_report_json_text_csv_and_exit_codes():
    bad = _result("wrong", float("inf"))
    doc = as_json([bad])
    json.dumps(doc, allow_nan=False)  # inf became null: strict JSON
    assert doc["files"][0]["functions"][0]["outputs"][0]["max_rel_error"] is None
    assert "rnn_forward  wrong: r" in as_text([bad])
    assert summary_csv([bad]).splitlines()[1] == "s,s.py,cs231n,rnn_forward,wrong,,r"
    assert exit_code([_result("correct")]) == 0
    assert exit_code([_result("correct"), _result("killed")]) == 1
    assert exit_code([_result("missing")]) == 0
    assert exit_code([bad, FileResult("t.py", "t", None, error="cannot read")]) == 2
