"""Student-style implementations (tests/code_corpus): the verdicts and slips written here by hand.

Each file is a right implementation with one slip (or two) put in by hand; the expected verdicts
and slips below are what a teacher reading the diff would say.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from symbptt.codecheck import sandbox
from symbptt.codecheck.judge import judge_file
from symbptt.codecheck.slips import SLIPS

CORPUS = Path(__file__).parent / "code_corpus"
LIMITS = sandbox.Limits(wall=5)

CS = ("rnn_step_forward", "rnn_step_backward", "rnn_forward", "rnn_backward")
COL = ("rnn_cell_forward", "rnn_cell_backward", "rnn_forward", "rnn_backward")
CS_LSTM = ("lstm_step_forward", "lstm_step_backward", "lstm_forward", "lstm_backward")
COL_LSTM = ("lstm_cell_forward", "lstm_cell_backward", "lstm_forward", "lstm_backward")
ALL = {"cs231n": CS + CS_LSTM, "dlai": COL + COL_LSTM, "course-notes": COL}

# file: (api, {function: (verdict, slip keys found in the slip sentence)}); unnamed: correct
CASES = {
    "cs231n_right.py": ("cs231n", {}),
    "cs231n_no_prev.py": ("cs231n", {"rnn_backward": ("wrong", ["no_prev"])}),
    "cs231n_overwrite.py": ("cs231n", {"rnn_backward": ("wrong", ["overwrite"])}),
    "cs231n_tanh_tanh.py": (
        "cs231n",
        {"rnn_step_backward": ("wrong", ["tanh_tanh"]), "rnn_backward": ("wrong", ["tanh_tanh"])},
    ),
    "cs231n_pre_act.py": (
        "cs231n",
        {"rnn_step_backward": ("wrong", ["pre_act"]), "rnn_backward": ("wrong", ["pre_act"])},
    ),
    "cs231n_transpose_back.py": (
        "cs231n",
        {
            "rnn_step_backward": ("wrong", ["transpose_back"]),
            "rnn_backward": ("wrong", ["transpose_back"]),
        },
    ),
    # the backward functions are right, but get their cache from the student's wrong forward
    "cs231n_transpose_fwd.py": ("cs231n", {fn: ("wrong", ["transpose_fwd"]) for fn in CS}),
    "cs231n_transpose_dW.py": (
        "cs231n",
        {
            "rnn_step_backward": ("wrong", ["transpose_dW"]),
            "rnn_backward": ("wrong", ["transpose_dW"]),
        },
    ),
    # N > T makes the loop index past the end: an error there, the slip named from N < T
    "cs231n_wrong_length.py": (
        "cs231n",
        {"rnn_forward": ("error", ["wrong_length"]), "rnn_backward": ("error", ["wrong_length"])},
    ),
    "cs231n_in_place.py": ("cs231n", {"rnn_backward": ("wrong", ["in_place"])}),
    "cs231n_float32.py": (
        "cs231n",
        {"rnn_forward": ("wrong", ["float32"]), "rnn_backward": ("wrong", ["float32"])},
    ),
    "dlai_right.py": ("dlai", {}),
    "dlai_no_prev.py": ("dlai", {"rnn_backward": ("wrong", ["no_prev"])}),
    "dlai_transpose_back.py": (
        "dlai",
        {
            "rnn_cell_backward": ("wrong", ["transpose_back"]),
            "rnn_backward": ("wrong", ["transpose_back"]),
        },
    ),
    "dlai_two_slips.py": (
        "dlai",
        {
            "rnn_cell_backward": ("wrong", ["tanh_tanh"]),
            "rnn_backward": ("wrong", ["overwrite", "tanh_tanh"]),
        },
    ),
    "dlai_wrong_length.py": (
        "dlai",
        {"rnn_forward": ("error", ["wrong_length"]), "rnn_backward": ("error", ["wrong_length"])},
    ),
    "cs231n_lstm_right.py": ("cs231n", {}),
    "cs231n_lstm_gates.py": (
        "cs231n",
        {fn: ("wrong", ["gates:ifgo"]) for fn in CS_LSTM},
    ),
    "cs231n_lstm_no_prev.py": ("cs231n", {"lstm_backward": ("wrong", ["no_prev"])}),
    "dlai_lstm_right.py": ("dlai", {}),
    "dlai_lstm_overwrite.py": ("dlai", {"lstm_backward": ("wrong", ["overwrite"])}),
    "notes_right.py": ("course-notes", {}),
    "notes_transpose_dW.py": (
        "course-notes",
        {
            "rnn_cell_backward": ("wrong", ["transpose_dW"]),
            "rnn_backward": ("wrong", ["transpose_dW"]),
        },
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_corpus_verdicts_and_slips(name):
    api, wrong = CASES[name]
    r = judge_file(str(CORPUS / name), api=None, limits=LIMITS, trusted=False)
    assert r.error is None and r.api == api
    assert [f.name for f in r.functions] == list(ALL[api])
    lstm = "lstm" in name  # the vanilla files define no LSTM functions and the other way round
    for f in r.functions:
        default = "correct" if f.name.startswith("lstm") == lstm else "missing"
        verdict, slips = wrong.get(f.name, (default, []))
        assert f.verdict == verdict, (f.name, f.reason)
        if not slips:
            assert f.slip is None, (f.name, f.slip)
            continue
        assert f.slip is not None, (f.name, f.reason)
        for key in slips:
            assert SLIPS[key].text in f.slip, (f.name, key, f.slip)
        others = [k for k in SLIPS if k not in slips and SLIPS[k].text in f.slip]
        assert not others, (f.name, others)


def test_wrong_output_names_entry_and_both_numbers():
    r = judge_file(str(CORPUS / "cs231n_transpose_dW.py"), api=None, limits=LIMITS, trusted=False)
    f = next(f for f in r.functions if f.name == "rnn_backward")
    outs = {o.name: o for o in f.outputs}
    assert [o.verdict for o in f.outputs] == ["correct", "correct", "correct", "wrong", "correct"]
    o = outs["dWh"]
    # the entry holds dWh^T's number where dWh's was expected: check against the numbers given
    assert o.max_rel_error > 0.1 and len(o.entry) == 2
    assert abs(o.got - o.expected) / max(abs(o.got), abs(o.expected)) == pytest.approx(
        o.max_rel_error
    )
    assert outs["dx"].max_rel_error < 1e-10


def test_a_file_that_does_not_parse_is_an_error_per_function():
    r = judge_file(str(CORPUS / "broken_syntax.py"), api=None, limits=LIMITS, trusted=False)
    assert r.api == "cs231n"
    assert {f.verdict for f in r.functions} == {"error"}
    assert "SyntaxError" in r.functions[0].reason and "line 5" in r.functions[0].reason


def test_backward_alone_is_judged_with_our_caches():
    r = judge_file(
        str(CORPUS / "dlai_only_cell_backward.py"), api="dlai", limits=LIMITS, trusted=False
    )
    v = {f.name: f.verdict for f in r.functions}
    assert v["rnn_cell_backward"] == "correct"
    assert {x for k, x in v.items() if k != "rnn_cell_backward"} == {"missing"}


def test_a_wrong_cache_is_blamed_on_the_forward_that_made_it():
    r = judge_file(str(CORPUS / "dlai_bad_cache.py"), api="dlai", limits=LIMITS, trusted=False)
    f = next(f for f in r.functions if f.name == "rnn_cell_backward")
    assert f.verdict == "wrong" and f.slip is None
    assert (
        "right with our caches, wrong only with the caches of your own rnn_cell_forward" in f.reason
    )
    assert next(f for f in r.functions if f.name == "rnn_cell_forward").verdict == "correct"


def test_results_of_the_wrong_kind_are_errors_with_a_reason(tmp_path):
    f = tmp_path / "odd.py"
    f.write_text(
        "import numpy as np\n"
        "def rnn_forward(x, h0, Wx, Wh, b):\n    return 5\n"
        "def rnn_backward(dh, cache):\n    return 'a', 'b', 'c', 'd', 'e'\n"
        "def rnn_step_forward(x, prev_h, Wx, Wh, b):\n    return np.tanh(x @ Wx + prev_h @ Wh + b).T, 0\n"
    )
    r = judge_file(str(f), api="cs231n", limits=LIMITS, trusted=False)
    v = {fn.name: fn for fn in r.functions}
    assert v["rnn_forward"].verdict == "error" and "no h at result[0]" in v["rnn_forward"].reason
    assert v["rnn_backward"].verdict == "error"
    assert "cache could not be taken" in v["rnn_backward"].reason
    step = v["rnn_step_forward"]
    assert step.verdict == "wrong" and "the transpose's shape" in step.reason
    assert step.slip == "a missing transpose: next_h come(s) out with the transpose's shape"
