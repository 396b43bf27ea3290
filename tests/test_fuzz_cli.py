"""Fuzzing every command's options: whatever is typed, an exit code in {0, 1, 2, 3}, no traceback.

Commands run in-process through click's CliRunner (fast); a few edge cases also run as real
processes. An exit code of 2 always comes with a `symbptt: error:` line (or, for `check`, the
unreadable file named in the report). Example counts are bounded so each test takes seconds.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from symbptt.catalog import builtin_names
from symbptt.cli import cli
from symbptt.flow import ACTIVATIONS

#: Fuzzing runs in the full suite (the quick subset's budget, CONTRIBUTING.md).
pytestmark = pytest.mark.slow

#: SYMBPTT_FUZZ_SCALE=10 runs ten times the examples (a longer search than CI's).
SCALE = int(os.environ.get("SYMBPTT_FUZZ_SCALE", "1"))
EXIT_CODES = {0, 1, 2, 3}
FAST = settings(
    max_examples=40 * SCALE,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def invoke(args: list[str]):  # noqa: ANN201
    """Run one command in-process and check the no-traceback contract."""
    result = CliRunner().invoke(cli, args)
    text = result.output + result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        args,
        repr(result.exception),
    )
    assert result.exit_code in EXIT_CODES, (args, result.exit_code, text[-2000:])
    assert "Traceback" not in text, (args, text[-2000:])
    assert "internal error" not in text, (args, text[-2000:])
    with contextlib.suppress(InvalidArgument):  # outside @given: no statistics to keep
        event(f"{args[0]} exit {result.exit_code}")
    if result.exit_code == 2 and args and args[0] != "check":
        assert "symbptt: error: " in result.stderr, (args, result.stderr)
    return result


# ------------------------------------------------------------------------------ strategies


def mostly(valid: st.SearchStrategy, invalid: st.SearchStrategy) -> st.SearchStrategy:
    """Valid three times in four: one bad option already ends a command, so most runs go deep."""
    return st.one_of(valid, valid, valid, invalid)


NUMBER_TEXTS = ["0", "1", "-1", "0.5", "-0.6", "3/5", "1/0", "1e400", "-1e400", "1e300",
                "1e308", "1e-400", "nan", "inf", "-inf", "abc", "1e", "--1", ".", "0x10",
                "12345678901234567890", "2", "10"]  # fmt: skip
numbers = st.one_of(
    st.sampled_from(["0", "1", "-1", "0.5", "-0.6", "3/5", "0.9", "2", "1e-3", "0.25"]),
    st.sampled_from(NUMBER_TEXTS),
    st.integers(-(10**30), 10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.fractions(max_denominator=50).map(str),
)


@st.composite
def matrix_texts(draw: st.DrawFn, max_size: int = 4) -> str:
    """Matrices as typed: brackets or semicolons, square or ragged, or garbage."""
    kind = draw(st.sampled_from(["brackets"] * 3 + ["semicolons", "ragged", "garbage", "charset"]))
    if kind == "garbage":
        return draw(st.text(max_size=30))
    if kind == "charset":
        return draw(st.text(alphabet="[],; 0123456789.-e/", max_size=40))
    n = draw(st.integers(0 if kind == "ragged" else 1, max_size))
    rows = []
    for _ in range(n):
        width = draw(st.integers(0, max_size)) if kind == "ragged" else n
        rows.append([draw(numbers) for _ in range(width)])
    if kind == "semicolons":
        return "; ".join(" ".join(r) for r in rows)
    return "[" + ", ".join("[" + ", ".join(r) + "]" for r in rows) + "]"


small_ints = mostly(
    st.integers(1, 12).map(str),
    st.sampled_from(["0", "-1", "13", "100", "10000", "10001", "99999999999999999999", "x", ""]),
)
seeds = mostly(st.integers(0, 2**70).map(str), st.sampled_from(["-1", "-5", "x", "1.5", "", "1e3"]))


# ------------------------------------------------------------------------------ eigen, flow


@FAST
@given(
    source=mostly(st.just("matrix"), st.sampled_from(["factors", "homework", "none", "both"])),
    matrix=matrix_texts(),
    lam=st.one_of(matrix_texts(max_size=3), st.lists(numbers, max_size=4).map(" ".join)),
    power=mostly(st.one_of(st.none(), small_ints), st.integers(-3, 10**40).map(str)),
    exact=st.booleans(),
    as_json=st.booleans(),
)
def test_eigen_options(
    source: str, matrix: str, lam: str, power: str | None, exact: bool, as_json: bool
) -> None:
    args = ["eigen"]
    if source in ("matrix", "both"):
        args += ["--matrix", matrix]
    if source in ("factors", "both"):
        args += ["--Q", matrix, "--Lambda", lam]
    if source == "homework":
        args += ["--homework"]
    if power is not None:
        args += ["--power", power]
    if exact:  # the exact route at small sizes only (its cost grows with the entries' digits)
        if len(matrix) > 60:
            return
        args += ["--exact"]
    if as_json:
        args += ["--json"]
    invoke(args)


@FAST
@given(
    matrix=matrix_texts(),
    activation=st.one_of(st.sampled_from(ACTIVATIONS), st.text(max_size=8)),
    steps=st.one_of(st.none(), small_ints),
    seed=st.one_of(st.none(), seeds),
    as_json=st.booleans(),
)
def test_flow_options(
    matrix: str, activation: str, steps: str | None, seed: str | None, as_json: bool
) -> None:
    args = ["flow", "--matrix", matrix, "--activation", activation]
    if steps is not None:
        args += ["--steps", steps]
    if seed is not None:
        args += ["--seed", seed]
    if as_json:
        args += ["--json"]
    invoke(args)


@pytest.mark.parametrize(
    "matrix",
    ["[[1e400,0],[0,1]]", "[[1e300,1e300],[1e300,1e300]]", "[[1e308,1e308],[1e308,1e308]]",
     "[[1e-320,0],[0,1e-320]]", "[[-1e300,1e300],[1e300,-1e300]]", "[[1e154]]"],
)  # fmt: skip
@pytest.mark.parametrize("command", ["eigen", "flow"])
def test_huge_and_tiny_matrices(command: str, matrix: str) -> None:
    for extra in ([], ["--power", "2"], ["--power", "400"], ["--steps", "400"], ["--json"]):
        if command == "eigen" and "--steps" in extra or command == "flow" and "--power" in extra:
            continue
        invoke([command, "--matrix", matrix, *extra])


# ------------------------------------------------------------------------------ files


@st.composite
def model_refs(draw: st.DrawFn, folder: Path) -> str:
    """A built-in name, an unknown name, a missing path, a folder, or a file of random text."""
    kind = draw(st.sampled_from(["builtin"] * 4 + ["name", "missing", "folder", "file", "yaml"]))
    if kind == "builtin":
        return draw(st.sampled_from(builtin_names()))
    if kind == "name":
        return draw(st.sampled_from(["homework99", "", "-", "elman.yaml", "x/y", "."]))
    if kind == "missing":
        return str(folder / "MISSING.yaml")
    if kind == "folder":
        return str(folder)
    path = folder / f"f{draw(st.integers(0, 3))}.yaml"
    if kind == "file":
        path.write_bytes(draw(st.binary(max_size=200)))
    else:
        path.write_text(draw(derivation_texts()), encoding="utf-8")
    return str(path)


KEYS = ["name", "description", "parameters", "symbols", "activation", "output", "loss",
        "loss_at", "delta", "vectors", "term_order", "sizes", "cell", "layout", "bogus"]  # fmt: skip
VALUES = ["x", "'W_h'", "tanh", "none", "generic", "every", "net", "{input: U, recurrent: W}",
          "{T: 3, n: 2}", "{T: 1000}", "{n: 64}", "{T: 6, n: 5}", "[1, 2]", "{}", "lstm", "rnn",
          "12", "true", "null", "{state: h, loss: L}", "'\\\\frac{1}{2}'"]  # fmt: skip


@st.composite
def derivation_texts(draw: st.DrawFn) -> str:
    """YAML derivation files made of the contract's own keys with plausible or wrong values."""
    lines = ["name: fuzz", "description: fuzz", "parameters: {input: U, recurrent: W}"]
    lines = draw(st.lists(st.sampled_from(lines), max_size=3, unique=True))
    extra = draw(st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=5))
    return "\n".join(lines + [f"{k}: {v}" for k, v in extra.items()]) + "\n"


@FAST
@given(data=st.data(), T=small_ints, n=small_ints, seed=seeds, as_json=st.booleans())
def test_verify_options(
    tmp_path: Path, data: st.DataObject, T: str, n: str, seed: str, as_json: bool
) -> None:
    model = data.draw(model_refs(tmp_path))
    args = ["verify", model, "--T", _small(T), "--n", _small(n), "--seed", seed]
    invoke(args + (["--json"] if as_json else []))


def _small(size: str) -> str:
    """A size the commands accept becomes 1, so that the checks that do run stay quick."""
    return "1" if size.isdigit() and 1 <= int(size) <= 12 else size


OUTPUTS = ["none", "new", "existing", "folder", "missing-parent", "empty"]
WRT = ["W", "U", "V", "W_h", "W_hh", "W_xh", "W_{hh}", "b", "", "Q", "x"]


@FAST
@given(
    data=st.data(),
    T=small_ints,
    n=small_ints,
    wrt=mostly(st.just([]), st.lists(st.sampled_from(WRT), max_size=3)),
    form=mostly(st.sampled_from(["bptt", "paths", "direct", "all", "general"]), st.text(max_size=5)),
    fmt=mostly(st.sampled_from(["text", "tex", "fragment", "markdown", "json"]), st.text(max_size=5)),
    output=mostly(st.sampled_from(["none", "new"]), st.sampled_from(OUTPUTS)),
    force=st.booleans(),
    seed=seeds,
)  # fmt: skip
def test_derive_options(
    tmp_path: Path, data: st.DataObject, T: str, n: str, wrt: list[str], form: str, fmt: str,
    output: str, force: bool, seed: str,
) -> None:  # fmt: skip
    model = data.draw(model_refs(tmp_path))
    args = ["derive", model, "--T", _small(T), "--n", _small(n), "--form", form, "--format", fmt]
    args += ["--seed", seed]
    args += [a for w in wrt for a in ("--wrt", w)]
    existing = tmp_path / "existing.tex"
    existing.write_text("keep me\n")
    (tmp_path / "new.tex").unlink(missing_ok=True)  # tmp_path is shared by the examples
    target = {
        "new": tmp_path / "new.tex",
        "existing": existing,
        "folder": tmp_path,
        "missing-parent": tmp_path / "no" / "such" / "x.tex",
        "empty": Path(""),
    }.get(output)
    if target is not None:
        args += ["-o", str(target)]
    if force:
        args += ["--force"]
    result = invoke(args + ["--no-checks"])
    if output == "existing" and not force:
        assert existing.read_text() == "keep me\n"  # never overwritten without --force
    if output == "new" and result.exit_code != 0:
        assert not (tmp_path / "new.tex").exists()  # nothing half-written on an error


ANSWER_KEYS = ["given", "where", "tolerance", "layout", "for", "question",
               "points", "product_order", "bogus"]  # fmt: skip
LATEX = ["W^{30}", "\\Lambda^{30}", "h_t", "\\delta_t", "\\frac{\\partial L}{\\partial W}",
         "\\sum_{t=1}^{T}", "=", "\\le", "0.9^{30}", "\\operatorname{diag}(0.9, 0.4)",
         "\\begin{bmatrix}1&2\\\\3&4\\end{bmatrix}", "\\sigma'(s_t)", "&=", "\\\\", "{", "}",
         "\\input{x}", "3\\times10^{400}", "(", ")", "W_{hh}", "\\|W\\|_2", "\\rho(W)"]  # fmt: skip


@st.composite
def answer_files(draw: st.DrawFn, folder: Path) -> str:
    """Answer files (YAML, Markdown, .tex) with random structure and grammar tokens, or noise."""
    kind = draw(st.sampled_from(["yaml"] * 3 + ["md", "tex", "bytes", "claims"]))
    latex = st.lists(st.sampled_from(LATEX), min_size=1, max_size=10).map(" ".join)
    path = folder / f"a{draw(st.integers(0, 2))}.{ {'md': 'md', 'tex': 'tex'}.get(kind, 'yaml') }"
    if kind == "bytes":
        path.write_bytes(draw(st.binary(max_size=300)))
        return str(path)
    model = draw(
        mostly(
            st.sampled_from(["homework3", "elman"]), st.sampled_from(["homework99", "./M.yaml", ""])
        )
    )
    if kind == "md":
        body = "\n".join(f"## {i}\n$${draw(latex)}$$" for i in range(draw(st.integers(0, 3))))
        path.write_text(f"---\nmodel: {model}\n---\n{body}\n", encoding="utf-8")
    elif kind == "tex":
        body = "\n".join(
            f"\\section{{{i}}}\n${draw(latex)}$" for i in range(draw(st.integers(0, 3)))
        )
        path.write_text(f"% model: {model}\n{body}\n", encoding="utf-8")
    else:
        answers = []
        for i in range(draw(mostly(st.integers(1, 3), st.just(0)))):
            keys = draw(
                mostly(st.just([]), st.lists(st.sampled_from(ANSWER_KEYS), max_size=3, unique=True))
            )
            entry = [f"  - id: a{i}", f"    answer: '{draw(latex).replace(chr(39), '')}'"]
            for k in keys:
                value = draw(st.sampled_from(["{W: 'Q'}", "0.01", "numerator", "x", "[1]", "{}",
                                               "'1 \\le k < t \\le T'", "3", "decreasing"]))  # fmt: skip
                entry.append(f"    {k}: {value}")
            answers += entry
        head = "claims:" if kind == "claims" else "answers:"
        path.write_text(f"model: {model}\nstudent: s\n{head}\n" + "\n".join(answers) + "\n")
    return str(path)


@settings(max_examples=15 * SCALE, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])  # fmt: skip
@given(data=st.data(), as_json=st.booleans(), summary=st.booleans())
def test_check_random_files(
    tmp_path: Path, data: st.DataObject, as_json: bool, summary: bool
) -> None:
    files = [data.draw(answer_files(tmp_path)) for _ in range(data.draw(st.integers(1, 2)))]
    args = ["check", "--jobs", "1", "--timeout", "5", *files]
    if as_json:
        args.append("--json")
    if summary:
        args += ["--summary", str(tmp_path / "summary.csv"), "--force"]
    invoke(args)


@FAST
@given(
    command=st.sampled_from(["list", "claims", "docs"]),
    extra=st.lists(
        st.sampled_from(
            ["--json", "--bogus", "x", "homework99", "nosuch", "--out", "-h", "--help"]
        ),
        max_size=3,
    ),
)
def test_list_claims_docs_options(command: str, extra: list[str]) -> None:
    if command == "claims":  # an unknown text first: all claims take long (tested elsewhere)
        extra = ["nosuch", *extra]
    invoke([command, *extra])


def test_claims_of_one_text_and_list_json() -> None:
    invoke(["claims", "blog", "--json"])
    invoke(["list", "--json"])


# ------------------------------------------------------------------------------ real processes


@pytest.mark.parametrize(
    "args",
    [
        ["eigen", "--matrix", "[[1e400,0],[0,1]]", "--power", "2"],
        ["flow", "--matrix", "[[1e300,1e300],[1e300,1e300]]"],
        ["flow", "--matrix", "[[0.5, 2], [0, 0.5]]", "--seed", "-3"],
        ["verify", "elman", "--seed", "-1"],
        ["derive", "MISSING.yaml"],
        ["eigen", "--matrix", "[[nan]]"],
        ["eigen", "--power", "1e3"],
    ],
)
def test_edges_in_a_real_process(args: list[str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "symbptt", *args], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 2, (args, proc.returncode, proc.stderr)
    assert proc.stderr.startswith("symbptt: error: "), proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr


# ------------------------------------------------------------------------------ valid inputs
# Every option valid at once, so that the runs go all the way through the commands.

DEEP = settings(
    max_examples=12 * SCALE,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@DEEP
@given(data=st.data(), fmt=st.sampled_from(["text", "tex", "fragment", "markdown", "json"]),
       form=st.sampled_from(["bptt", "paths", "direct", "all", "general"]),
       T=st.integers(1, 2), n=st.integers(1, 2), seed=st.integers(0, 2**64))  # fmt: skip
def test_derive_valid_options(
    tmp_path: Path, data: st.DataObject, fmt: str, form: str, T: int, n: int, seed: int
) -> None:
    from symbptt.catalog import load

    name = data.draw(st.sampled_from(builtin_names()))
    model = load(name)
    names = [model.notation.param(r).ascii for r in model.roles]
    wrt = data.draw(st.lists(st.sampled_from(names), max_size=2, unique=True))
    out = tmp_path / "d.out"
    out.unlink(missing_ok=True)
    args = ["derive", name, "--T", str(T), "--n", str(n), "--form", form, "--format", fmt]
    args += ["--seed", str(seed), "-o", str(out), "--no-checks"]
    args += [a for w in wrt for a in ("--wrt", w)]
    result = invoke(args)
    assert result.exit_code == 0, (args, result.stderr)
    assert out.read_text(encoding="utf-8").strip()


@DEEP
@given(name=st.sampled_from(builtin_names()), T=st.integers(1, 2), seed=st.integers(0, 2**64))
def test_verify_valid_options(name: str, T: int, seed: int) -> None:
    result = invoke(["verify", name, "--T", str(T), "--n", "1", "--seed", str(seed), "--json"])
    assert result.exit_code in (0, 1)


@DEEP
@given(
    rows=st.integers(1, 4).flatmap(
        lambda k: st.lists(
            st.lists(st.fractions(-3, 3, max_denominator=9), min_size=k, max_size=k),
            min_size=k,
            max_size=k,
        )
    ),
    power=st.integers(0, 60),
    as_json=st.booleans(),
)
def test_eigen_valid_matrices(rows: list[list], power: int, as_json: bool) -> None:
    text = "[" + ", ".join("[" + ", ".join(str(v) for v in r) + "]" for r in rows) + "]"
    base = ["eigen", "--matrix", text, "--power", str(power)] + (["--json"] if as_json else [])
    assert invoke(base).exit_code in (0, 2)  # 2: a power that overflows float64
    if len(rows) <= 3 and power <= 20:
        assert invoke([*base, "--exact"]).exit_code in (0, 2)  # 2: too many digits


@pytest.mark.slow
@DEEP
@given(data=st.data())
def test_check_valid_answer_files(tmp_path: Path, data: st.DataObject) -> None:
    latex = st.lists(st.sampled_from(LATEX), min_size=1, max_size=8).map(" ".join)
    answers = [f"  - id: a{i}\n    answer: '{data.draw(latex).replace(chr(39), '')}'"
               for i in range(data.draw(st.integers(1, 3)))]  # fmt: skip
    path = tmp_path / "answers.yaml"
    model = data.draw(st.sampled_from(["homework3", "elman"]))
    path.write_text(f"model: {model}\nstudent: s\nanswers:\n" + "\n".join(answers) + "\n")
    result = invoke(["check", "--jobs", "1", "--timeout", "5", str(path)])
    assert result.exit_code in (0, 1, 3), result.output
