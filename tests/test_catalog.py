"""Derivation files: every built-in loads; mistakes name the file, line, key and expectation."""

from __future__ import annotations

from pathlib import Path

import pytest

from symbptt.catalog import builtin_names, load, load_file
from symbptt.errors import DerivationFileError, InputError
from symbptt.model import Role

EXPECTED = {"tutorial", "course-notes", "blog", "homework3", "dl4nlp", "elman", "goodfellow"}


def test_all_six_source_texts_are_shipped() -> None:
    assert set(builtin_names()) == EXPECTED


def test_dl4nlp_swaps_u_and_w() -> None:
    # source-material.md section 5: "U is the RECURRENT matrix here, W the input matrix".
    notation = load("dl4nlp").notation
    assert notation.param(Role.RECURRENT).ascii == "U"
    assert notation.param(Role.INPUT).ascii == "W"
    assert notation.role_of("U") is Role.RECURRENT


def test_blog_names_and_sigmoids() -> None:
    model = load("blog")
    names = {r: model.notation.param(r).latex for r in model.roles}
    assert names == {
        Role.INPUT: "W_{x}",
        Role.RECURRENT: "W_{h}",
        Role.HIDDEN_BIAS: "b_{h}",
        Role.OUTPUT: "W_{y}",
        Role.OUTPUT_BIAS: "b_{y}",
    }
    assert (model.activation, model.output) == ("sigmoid", "sigmoid")


def test_unknown_parameter_lists_valid_names() -> None:
    with pytest.raises(
        InputError, match=r"unknown parameter 'Q'; this model's parameters are W_x, W_h"
    ):
        load("blog").notation.role_of("Q")


def test_unknown_derivation_name_lists_builtins() -> None:
    with pytest.raises(InputError, match="unknown model 'nope'.*dl4nlp"):
        load("nope")


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mine.yaml"
    path.write_text(text)
    return path


GOOD = """\
name: mine
description: my course
parameters:
  input: U
  recurrent: W
activation: tanh
output: none
loss: generic
"""


def test_a_user_file_loads(tmp_path: Path) -> None:
    model = load_file(_write(tmp_path, GOOD)).model
    assert model.roles == (Role.INPUT, Role.RECURRENT)


@pytest.mark.parametrize(
    ("replace", "by", "message"),
    [
        (
            "activation: tanh",
            "activation: tanhh",
            r"mine.yaml:6: key 'activation': activation is 'tanhh'; expected one of tanh, sigmoid",
        ),
        (
            "  recurrent: W",
            "  recurent: W",
            r"mine.yaml:5: key 'parameters.recurent': unknown role 'recurent'; expected one of input, recurrent",
        ),
        (
            "loss: generic",
            "loss: generic\nsizes: {T: 0}",
            r"mine.yaml:9: key 'sizes.T': found 0; expected a whole number from 1 to 6",
        ),
        ("output: none", "output: none\ncolour: red", r"mine.yaml:8: key 'colour': unknown key"),
        (
            "  input: U",
            "  input: 'U x'",
            r"mine.yaml:4: key 'parameters.input': found 'U x'; expected letters",
        ),
        (
            "loss: generic",
            "loss: cross_entropy",
            r"loss 'cross_entropy' goes with output 'softmax', not 'none'",
        ),
    ],
)
def test_mistakes_are_located(tmp_path: Path, replace: str, by: str, message: str) -> None:
    assert replace in GOOD
    with pytest.raises(DerivationFileError, match=message):
        load_file(_write(tmp_path, GOOD.replace(replace, by)))


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"mine.yaml:2: not valid YAML: found character '\\t'"):
        load_file(_write(tmp_path, "name: x\n\tdescription: y\n"))


def test_term_order_follows_the_texts() -> None:
    # source-material.md: blog "W_h h_{t-1} + W_x x_t", homework "W h_{t-1} + U x_t",
    # dl4nlp "U h_{t-1} + W x_t"; tutorial "U x_t + W s_{t-1}", course notes "U x_t + W s_{t-1}".
    first = {name: load(name).notation.recurrent_first for name in EXPECTED}
    assert first == {
        "blog": True,
        "homework3": True,
        "dl4nlp": True,
        "tutorial": False,
        "course-notes": False,
        "elman": False,
        "goodfellow": True,  # b + W h^(t-1) + U x^(t): recurrent before input (bias first)
    }


def test_bad_term_order_is_located(tmp_path: Path) -> None:
    with pytest.raises(
        DerivationFileError, match=r"mine.yaml:9: key 'term_order': found 'backwards'"
    ):
        load_file(_write(tmp_path, GOOD + "term_order: backwards\n"))


def test_front_door() -> None:
    import symbptt

    model = symbptt.load("dl4nlp")
    assert model.notation.role_of("U") is Role.RECURRENT
    report = symbptt.run_checks(model, 2, 1)
    assert [c.name for c in report.checks if not c.passed] == []
    assert symbptt.unroll(model, 2, 1).T == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # the state and the output both called o: printed equations would be ambiguous
        (
            "name: c\ndescription: d\nparameters: {input: P, recurrent: R, output: Q}\n"
            "symbols:\n  state: o\n  output: o\noutput: identity\nloss: squared_error\n",
            r"c.yaml:6: key 'symbols.output': 'o' is already the name of 'symbols.state' \(line 5\)",
        ),
        # the output matrix named like the recurrent one
        (
            "name: c\ndescription: d\nparameters:\n  input: P\n  recurrent: R\n  output: R\n",
            r"c.yaml:6: key 'parameters.output': 'R' is already the name of 'parameters.recurrent' \(line 5\)",
        ),
        # a state named like a default that the model uses (the pre-activation 'net')
        (
            "name: c\ndescription: d\nparameters: {input: U, recurrent: W}\n"
            "symbols: {state: net}\noutput: none\nloss: generic\n",
            r"c.yaml:4: key 'symbols.state': 'net' is already the name of 'symbols.preactivation' \(its default\)",
        ),
    ],
)
def test_one_name_for_two_quantities_is_located(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(DerivationFileError, match=message):
        load_file(path)


def test_unused_defaults_do_not_clash(tmp_path: Path) -> None:
    # no output layer: naming the state 'z' (the unused output pre-activation default) is fine
    path = tmp_path / "c.yaml"
    path.write_text(
        "name: c\ndescription: d\nparameters: {input: U, recurrent: W}\n"
        "symbols: {state: z}\noutput: none\nloss: generic\n"
    )
    assert load_file(path).model.notation.state.ascii == "z"


# ---------------------------------------------------------------- sizes the commands can run


def test_every_loadable_size_runs_in_verify_and_derive(tmp_path: Path) -> None:
    """Every (T, n) a file may declare passes verify's and derive's own size checks."""
    from symbptt.catalog import SIZE_LIMITS
    from symbptt.latex import expansion
    from symbptt.verify import check_sizes

    accepted = 0
    for T in range(1, SIZE_LIMITS["T"][1] + 3):
        for n in range(1, SIZE_LIMITS["n"][1] + 3):
            path = _write(tmp_path, GOOD + f"sizes: {{T: {T}, n: {n}}}\n")
            try:
                load_file(path)
            except DerivationFileError:
                rejected_by_a_command = False
                for check in (check_sizes, expansion.check_sizes):
                    try:
                        check(T, n)
                    except InputError:
                        rejected_by_a_command = True
                assert rejected_by_a_command, (T, n)  # no size refused that every command runs
                continue
            check_sizes(T, n)
            expansion.check_sizes(T, n)
            accepted += 1
    assert accepted >= 20  # T = 1..6 at n = 1, 2 alone are 12 (n^(T+1) <= 4096 by hand)


@pytest.mark.parametrize(
    ("sizes", "message"),
    [
        ("{T: 7}", r"mine.yaml:9: key 'sizes.T': found 7; expected a whole number from 1 to 6"),
        ("{T: 1000, n: 2}", r"mine.yaml:9: key 'sizes.T': found 1000"),
        ("{n: 64}", r"mine.yaml:9: key 'sizes.n': found 64; expected a whole number from 1 to 5"),
        ("{m: 64}", r"mine.yaml:9: key 'sizes.m': found 64; expected a whole number from 1 to 8"),
        ("{k: 9}", r"mine.yaml:9: key 'sizes.k': found 9"),
        # 5^(6+1) = 78125 > 4096 and 5^(4+1) = 3125 <= 4096: at n = 5, T is at most 4
        ("{T: 6, n: 5}", r"mine.yaml:9: key 'sizes.T': T = 6 with n = 5 .* T is at most 4"),
        ("\n  T: 5\n  n: 5", r"mine.yaml:10: key 'sizes.T': T = 5 with n = 5"),
    ],
)
def test_sizes_beyond_the_commands_fail_at_load(tmp_path: Path, sizes: str, message: str) -> None:
    with pytest.raises(DerivationFileError, match=message) as info:
        load_file(_write(tmp_path, GOOD + f"sizes: {sizes}\n"))
    assert "steplemma" not in str(info.value) and "compile_gradients" not in str(info.value)


def test_gated_sizes_fail_at_load(tmp_path: Path) -> None:
    from symbptt.cells import checks

    text = (
        "name: g\ndescription: d\ncell: lstm\noutput: none\nloss: generic\nsizes: {T: %d, n: 2}\n"
    )
    load_file(_write(tmp_path, text % checks.MAX_T))
    with pytest.raises(DerivationFileError, match=r"mine.yaml:6: key 'sizes.T': found 4"):
        load_file(_write(tmp_path, text % (checks.MAX_T + 1)))


def test_missing_file_directory_and_unknown_name(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nope.yaml: file not found"):
        load(str(tmp_path / "nope.yaml"))
    with pytest.raises(InputError, match=r"is a directory"):
        load(str(tmp_path))
    with pytest.raises(
        InputError, match=r"unknown model 'homework99'; built-in names are .*homework3"
    ):
        load("homework99")


def test_shipped_examples_load_by_their_documented_path_from_any_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`derivations/examples/mgu.yaml`, as `symbptt list` prints it, works outside the clone."""
    from click.testing import CliRunner

    from symbptt.cli import cli

    monkeypatch.chdir(tmp_path)
    listed = CliRunner().invoke(cli, ["list"]).output
    assert "derivations/examples/mgu.yaml" in listed
    for ref in ("derivations/examples/mgu.yaml", "examples/mgu"):
        assert load(ref).name == "mgu"
    with pytest.raises(InputError, match="file not found"):
        load("derivations/../derivations/examples/mgu.yaml")
