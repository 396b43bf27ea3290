"""Issue 9 review: what derive prints for a model, the checker reads for that model.

Each expected verdict is worked out here, by hand (an identity of linear algebra, a definition
in the model's printed equations) or by a numpy loop over the model's published equations.
"""

from __future__ import annotations

import numpy as np
import pytest

from symbptt.answers.judge import AnswerSpec, judge
from symbptt.catalog import load


def verdict(tex: str, model: str, **kw: object) -> tuple[str, str]:
    v = judge(AnswerSpec("a", tex, **kw), load(model))  # type: ignore[arg-type]
    return v.verdict, v.reason


# ------------------------------------------------------------------ 1. size letters are sizes

# By hand: rho(W) is the largest |eigenvalue| over all n of them; ||W||_F^2 is the sum of the n
# squared singular values; ||h_t||^2 is the sum of the n squared entries; sigma_min(W) <=
# |lambda_i(W)| for every eigenvalue (|lambda| ||v|| = ||W v|| >= sigma_min ||v||); |tanh| < 1
# so ||h_t|| < sqrt(n) for t >= 1. Each uses n, elman's hidden size.
TRUE_WITH_SIZES = [
    ("\\rho(W_{hh}) = \\max_{i=1}^{n} |\\lambda_i(W_{hh})|", None),
    ("\\rho(W_{hh}) = \\max_{1 \\le i \\le n} |\\lambda_i(W_{hh})|", None),
    ("\\|W_{hh}\\|_F^2 = \\sum_{i=1}^{n} \\sigma_i(W_{hh})^2", None),
    ("\\|h_t\\|^2 = \\sum_{j=1}^{n} h_{t,j}^2", None),
    ("\\sigma_{\\min}(W_{hh}) \\le |\\lambda_i(W_{hh})|", "1 \\le i \\le n"),
    ("\\|h_t\\| \\le \\sqrt{n}", "1 \\le t \\le T"),
]


@pytest.mark.parametrize("tex, range_", TRUE_WITH_SIZES)
def test_size_letters_mean_the_instance_sizes(tex: str, range_: str | None) -> None:
    got, why = verdict(tex, "elman", range=range_)
    assert got == "correct", why


def test_a_wrong_size_letter_is_wrong() -> None:
    # min |lambda_i| is not rho(W) once n >= 2 (random W: distinct moduli).
    got, why = verdict("\\rho(W_{hh}) = \\min_{i=1}^{n} |\\lambda_i(W_{hh})|", "elman")
    assert got == "wrong", why
    # m is the input size (1 + n % 3 in the instances, 2 at n = 1): h_t has n entries, not m.
    got, why = verdict("\\|h_t\\|^2 = \\sum_{j=1}^{m} h_{t,j}^2", "elman")
    assert got == "wrong", why


BLOG_LOSS = (
    "L_t = -\\sum_{J} \\left[ \\bar{y}_{t,j} \\log y_{t,j} + \\left(1 - \\bar{y}_{t,j}\\right)"
    " \\log\\left(1 - y_{t,j}\\right) \\right]"
)


@pytest.mark.parametrize("sum_", ["_{j=1}^{k}", "_{j}", "_j"])
def test_blog_loss_as_printed_sums_over_the_outputs(sum_: str) -> None:
    # The blog's printed loss: binary cross-entropy summed over the k outputs (its definition).
    got, why = verdict(BLOG_LOSS.replace("_{J}", sum_), "blog", range="1 \\le t \\le T")
    assert got == "correct", why


def test_blog_loss_over_the_hidden_size_is_wrong() -> None:
    # n is the hidden size, not the output size: k = 2 + n % 2 differs from n at n = 1.
    got, why = verdict(BLOG_LOSS.replace("_{J}", "_{j=1}^{n}"), "blog", range="1 \\le t \\le T")
    assert got != "correct", why


def test_for_a_size_restricts_the_instances() -> None:
    # ||h_t||^2 = h_{t,1}^2 + h_{t,2}^2 holds exactly when n = 2 (hand: the 2-norm).
    tex = "\\|h_t\\|^2 = h_{t,1}^2 + h_{t,2}^2"
    got, why = verdict(tex, "elman", range="n = 2")
    assert got == "correct", why
    got, why = verdict(tex, "elman")
    assert got == "wrong", why


# ------------------------------------------------------------------ 2. derive's betas


def _jacobian_norms(W: np.ndarray, act: str, T: int, rng: np.random.Generator) -> list:
    """(t, k, ||dh_t/dh_k||) for h_t = f(W h_{t-1} + u_t), by a plain loop (the published
    recurrence) and central differences of h_t in h_k."""
    f = np.tanh if act == "tanh" else (lambda z: 1.0 / (1.0 + np.exp(-z)))
    n = W.shape[0]
    us = rng.normal(size=(T + 1, n))
    h0 = rng.normal(size=n)

    def run(h: np.ndarray, k: int, t: int) -> np.ndarray:
        for i in range(k + 1, t + 1):
            h = f(W @ h + us[i])
        return h

    hs = [h0]
    for i in range(1, T + 1):
        hs.append(f(W @ hs[-1] + us[i]))
    out = []
    for t in range(1, T + 1):
        for k in range(0, t + 1):
            J = np.zeros((n, n))
            for j in range(n):
                e = np.zeros(n)
                e[j] = 1e-6
                J[:, j] = (run(hs[k] + e, k, t) - run(hs[k] - e, k, t)) / 2e-6
            out.append((t, k, np.linalg.norm(J, 2)))
    return out


def test_the_printed_bound_holds_numerically_and_rho_does_not() -> None:
    # The independent check: ||dh_t/dh_k|| <= (||W|| sup|f'|)^{t-k} at random points; with a
    # non-normal W (rho = 0.5, ||W|| = 2.06) rho in place of ||W|| fails at t - k = 1.
    rng = np.random.default_rng(3)
    for act, beta_f in (("tanh", 1.0), ("sigmoid", 0.25)):
        W = rng.normal(size=(3, 3))
        for t, k, norm in _jacobian_norms(W, act, 3, rng):
            assert norm <= (np.linalg.norm(W, 2) * beta_f) ** (t - k) * (1 + 1e-6)
    W = np.array([[0.5, 2.0], [0.0, 0.5]])
    worst = max(
        norm / max(abs(np.linalg.eigvals(W))) ** (t - k)
        for t, k, norm in _jacobian_norms(W, "tanh", 2, np.random.default_rng(0))
        if t > k
    )
    assert worst > 1  # so rho(W) beta_f is no bound, and the checker must be able to say so


@pytest.mark.parametrize(
    "model, W, f",
    [
        ("elman", "W_{hh}", "f"),
        ("blog", "W_{h}", "\\sigma"),
        ("dl4nlp", "U", "f"),
        ("homework3", "W", "\\sigma"),
        ("tutorial", "W", "f"),
        ("course-notes", "W", "f"),
    ],
)
def test_derives_printed_jacobian_bound_is_correct(model: str, W: str, f: str) -> None:
    # derive prints this bound for every built-in (see symbolic/general.bounds); true by
    # sub-multiplicativity (checked numerically above).
    state = "s" if model in ("tutorial", "course-notes") else "h"
    tex = (
        f"\\left\\lVert \\frac{{\\partial {state}_{{t}}}}{{\\partial {state}_{{k}}}} \\right\\rVert"
        f" \\le \\left(\\beta_{{{W}}} \\beta_{{{f}}}\\right)^{{t - k}}"
    )
    got, why = verdict(tex, model, range="1 \\le k \\le t \\le T")
    assert got == "correct", why
    assert "read as derive defines it" in why
    got, why = verdict(f"\\|{W}\\| \\le \\beta_{{{W}}}", model)
    assert got == "correct", why


def test_beta_f_is_the_activations_bound() -> None:
    # blog's sigma: sup sigma' = 1/4 (at 0); tanh: sup tanh' = 1 (at 0). By hand.
    assert verdict("\\beta_{\\sigma} = \\frac{1}{4}", "blog")[0] == "correct"
    assert verdict("\\beta_{\\sigma} = 1", "blog")[0] == "wrong"
    assert verdict("\\beta_{f} = 1", "elman")[0] == "correct"


def test_an_undefined_beta_is_undecided_and_a_where_beta_is_read() -> None:
    got, why = verdict("\\|W_{hh}\\| \\le \\gamma_{W_{hh}}", "elman")
    assert got == "undecided" and "unknown symbol" in why
    # a where: beta of the model's compound name is one name (not index variables)
    got, why = verdict(
        "\\|W_{hh}\\| \\le \\beta_{W_{hh}}", "elman", where={"\\beta_{W_{hh}}": "2\\|W_{hh}\\|"}
    )
    assert got == "correct", why
    got, why = verdict(
        "\\|W_{hh}\\| \\le \\beta_{W_{hh}}", "elman", where={"\\beta_{W_{hh}}": "\\|W_{hh}\\|/2"}
    )
    assert got == "wrong", why


def test_rho_in_place_of_the_norm_is_not_correct() -> None:
    # Numerically (above) rho(W) beta_f is no bound for a non-normal W; the random instances
    # need not hit such a W, so the verdict must only never be a false proof via beta.
    tex = (
        "\\left\\lVert \\frac{\\partial h_{t}}{\\partial h_{k}} \\right\\rVert"
        " \\le \\left(\\rho(W_{hh}) \\beta_{f}\\right)^{t - k}"
    )
    got, why = verdict(tex, "elman", range="1 \\le k \\le t \\le T")
    assert got == "wrong", why


# ------------------------------------------------------------------ 8, 10. messages


def test_unknown_model_lists_every_builtin() -> None:
    from symbptt.catalog import builtin_paths
    from symbptt.errors import InputError

    with pytest.raises(InputError) as err:
        load("no-such-model")
    for path in builtin_paths():  # lstm, gru, gru-reset-before, homework3-lstm included
        assert f" {path.stem}," in str(err.value) or f" {path.stem} " in str(err.value)
    assert "lstm" in str(err.value) and "gru-reset-before" in str(err.value)


def test_ragged_rows_are_listed_in_the_order_written() -> None:
    from symbptt.errors import InputError
    from symbptt.matrixtext import to_float_matrix

    with pytest.raises(InputError, match=r"rows have lengths \[3, 2\]"):
        to_float_matrix([[1, 2, 3], [4, 5]])


def test_one_significant_figure_is_singular() -> None:
    from symbptt.answers.tolerance import Tolerance

    assert "1 significant figure," in Tolerance.from_spec({"sigfigs": 1}).describe()
    assert "2 significant figures," in Tolerance.from_spec({"sigfigs": 2}).describe()


# ------------------------------------------------------------------ 9. a folder of answers


def test_a_folder_of_answer_files_is_graded_as_answers(tmp_path) -> None:  # noqa: ANN001
    from click.testing import CliRunner

    from symbptt.cli import cli

    (tmp_path / "sub").mkdir()
    (tmp_path / "a.yaml").write_text(
        "model: homework3\nanswers:\n  - id: r\n    answer: '\\|W\\|_F^2 = \\sum_{i=1}^{n}"
        " \\sigma_i(W)^2'\n"
    )
    (tmp_path / "sub" / "b.md").write_text("---\nmodel: homework3\n---\n$$ 1 + 1 = 3 $$\n")
    r = CliRunner().invoke(cli, ["check", str(tmp_path)])
    assert "2 files; answers: 1 correct, 1 wrong" in r.output, r.output
    assert r.exit_code == 1
    (tmp_path / "x.py").write_text("pass\n")
    r = CliRunner().invoke(cli, ["check", str(tmp_path)])
    assert r.exit_code == 2 and "not both" in r.output, r.output


def test_a_folder_too_large_to_walk_is_refused(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    from click.testing import CliRunner

    from symbptt.answers import folders
    from symbptt.cli import cli

    monkeypatch.setattr(folders, "MAX_ENTRIES", 5)
    for i in range(8):
        (tmp_path / f"n{i}.txt").write_text("")
    r = CliRunner().invoke(cli, ["check", str(tmp_path)])
    assert r.exit_code == 2 and "more than 5 entries" in r.output, r.output


# ------------------------------------------------------------------ 3. path sums


def _elman_path_terms(rng: np.random.Generator, n: int = 3, m: int = 2, k: int = 2):
    """dE_3/db_h of elman (h_t = tanh(W_xh x_t + W_hh h_{t-1} + b_h), yhat = softmax(W_hy h +
    b_y), E_3 = -sum y_3 log yhat_3) by central differences, and its 3 path terms with the
    immediate partial dh_j/db_h = diag(1 - h_j^2) (numerator layout: rows = outputs)."""
    Wxh, Whh, bh = rng.normal(size=(n, m)), rng.normal(size=(n, n)), rng.normal(size=n)
    Why, by = rng.normal(size=(k, n)), rng.normal(size=k)
    xs, h0 = rng.normal(size=(4, m)), rng.normal(size=n)
    y = rng.uniform(0.1, 1, size=k)
    y /= y.sum()

    def states(b: np.ndarray) -> list:
        hs = [h0]
        for t in range(1, 4):
            hs.append(np.tanh(Wxh @ xs[t] + Whh @ hs[-1] + b))
        return hs

    def loss(b: np.ndarray) -> float:
        z = Why @ states(b)[3] + by
        p = np.exp(z - z.max())
        p /= p.sum()
        return float(-(y * np.log(p)).sum())

    grad = np.array([(loss(bh + e) - loss(bh - e)) / 2e-6 for e in np.eye(n) * 1e-6])
    hs = states(bh)
    z = Why @ hs[3] + by
    p = np.exp(z - z.max())
    p /= p.sum()
    dE_dh3 = (p - y) @ Why  # a row
    D = [None] + [np.diag(1 - hs[t] ** 2) for t in range(1, 4)]
    J = {t: D[t] @ Whh for t in range(2, 4)}  # dh_t/dh_{t-1}
    paths = [dE_dh3 @ D[3], dE_dh3 @ J[3] @ D[2], dE_dh3 @ J[3] @ J[2] @ D[1]]
    return grad, paths


def test_path_sum_with_immediate_partials_is_the_gradient() -> None:
    # The independent computation: the printed sum over paths with dh_j/db_h the immediate
    # partial equals the gradient; a path left out does not.
    grad, paths = _elman_path_terms(np.random.default_rng(0))
    np.testing.assert_allclose(sum(paths), grad, rtol=1e-6, atol=1e-8)
    assert not np.allclose(paths[0] + paths[1], grad, rtol=1e-3)


def _path(t: int, j: int, p: str) -> str:
    chain = "".join(
        f"\\frac{{\\partial h_{{{i}}}}}{{\\partial h_{{{i - 1}}}}}" for i in range(t, j, -1)
    )
    return (
        f"\\frac{{\\partial E_{{{t}}}}}{{\\partial \\hat{{y}}_{{{t}}}}} \\frac{{\\partial "
        f"\\hat{{y}}_{{{t}}}}}{{\\partial h_{{{t}}}}} {chain} \\frac{{\\partial h_{{{j}}}}}"
        f"{{\\partial {p}}}"
    )


def test_derives_printed_path_sum_is_read_with_immediate_partials() -> None:
    lhs = "\\frac{\\partial E_{3}}{\\partial b_{h}} = "
    got, why = verdict(lhs + " + ".join(_path(3, j, "b_{h}") for j in (3, 2, 1)), "elman")
    assert got == "correct", why
    assert "immediate partial" in why
    got, why = verdict(lhs + " + ".join(_path(3, j, "b_{h}") for j in (3, 2)), "elman")
    assert got == "wrong", why
    # one chain through h_3 alone is the chain rule with the total derivative dh_3/db_h
    got, why = verdict(lhs + _path(3, 3, "b_{h}"), "elman")
    assert got == "correct", why


def test_path_sum_by_a_matrix_is_one_reading_and_undecided() -> None:
    lhs = "\\frac{\\partial E_{3}}{\\partial W_{hh}} = "
    got, why = verdict(lhs + " + ".join(_path(3, j, "W_{hh}") for j in (3, 2, 1)), "elman")
    assert got == "undecided" and "copy of W_{hh} used at that step" in why, why
    assert "or the total derivative" not in why  # one reading, not the ambiguity


def test_course_notes_path_sum_is_read_in_the_layout_that_fits() -> None:
    # course-notes prints dE_4/db_a as 4 paths through o_4 and s_4..s_1 (same sum as above);
    # only numerator layout multiplies (1xk)(kxn)(nxn)...: the checker must find it.
    def path(j: int) -> str:
        chain = "".join(
            f"\\frac{{\\partial s_{{{i}}}}}{{\\partial s_{{{i - 1}}}}}" for i in range(4, j, -1)
        )
        return (
            "\\frac{\\partial E_{4}}{\\partial o_{4}} \\frac{\\partial o_{4}}{\\partial s_{4}} "
            f"{chain} \\frac{{\\partial s_{{{j}}}}}{{\\partial b_{{a}}}}"
        )

    tex = "\\frac{\\partial E_{4}}{\\partial b_{a}} = " + " + ".join(path(j) for j in (4, 3, 2, 1))
    got, why = verdict(tex, "course-notes")
    assert got == "correct" and "numerator layout" in why, why


# ------------------------------------------------------------------ 4. nabla_{W,t} per model


def test_dl4nlp_step_gradient_identity_numerically() -> None:
    # dl4nlp: s_t = W x_t + U h_{t-1}, h_t = tanh(s_t), yhat_t = softmax(V h_t), E_t = CE.
    # dE_t/dW = sum_{k<=t} delta_{t,k} x_k^T with delta_{t,k} = dE_t/ds_k: central differences.
    rng = np.random.default_rng(1)
    n, m, k, T = 2, 3, 2, 3
    W, U, V = rng.normal(size=(n, m)), rng.normal(size=(n, n)), rng.normal(size=(k, n))
    xs, h0, y = rng.normal(size=(T + 1, m)), rng.normal(size=n), np.array([0.3, 0.7])

    def E(t: int, W: np.ndarray, bump: dict | None = None) -> float:
        h = h0
        for i in range(1, t + 1):
            s = W @ xs[i] + U @ h + (bump or {}).get(i, 0.0)
            h = np.tanh(s)
        z = V @ h
        p = np.exp(z - z.max())
        return float(-(y * np.log(p / p.sum())).sum())

    eps = 1e-6
    for t in range(1, T + 1):
        dW = np.zeros_like(W)
        for idx in np.ndindex(*W.shape):
            e = np.zeros_like(W)
            e[idx] = eps
            dW[idx] = (E(t, W + e) - E(t, W - e)) / (2 * eps)
        total = np.zeros_like(W)
        for kk in range(1, t + 1):
            d = np.array([(E(t, W, {kk: eps * v}) - E(t, W, {kk: -eps * v})) / (2 * eps)
                          for v in np.eye(n)])  # fmt: skip
            total += np.outer(d, xs[kk])
        np.testing.assert_allclose(total, dW, rtol=1e-5, atol=1e-8)


def test_nabla_w_t_is_read_as_each_model_defines_it() -> None:
    # dl4nlp prints nabla_{W,t} E = sum_k delta_{t,k} x_k^T = dE_t/dW (checked above).
    got, why = verdict(
        "\\nabla_{W,t} E = \\sum_{k=1}^{t} \\delta_{t,k} x_{k}^\\top",
        "dl4nlp",
        range="1 \\le t \\le T",
    )
    assert got == "correct" and "read as this model defines it" in why, why
    # only the k = t term is not dE_t/dW once t >= 2 (x_1 reaches E_2 through h_1)
    got, why = verdict(
        "\\nabla_{W,t} E = \\delta_{t,t} x_{t}^\\top", "dl4nlp", range="1 \\le t \\le T"
    )
    assert got == "wrong", why
    # dl4nlp's nabla_{W,t,k} E: the step-t loss through step k's copy of W
    got, why = verdict(
        "\\nabla_{W,t,k} E = \\delta_{t,k} x_{k}^\\top", "dl4nlp", range="1 \\le k \\le t \\le T"
    )
    assert got == "correct", why
    # the tutorial prints nabla_{U,t} E = delta_t x_t^T: the copy of U at step t (sum_t of these
    # is dE/dU), with delta_t = dE/dnet_t
    got, why = verdict(
        "\\nabla_{U,t} E = \\delta_{t} x_{t}^\\top", "tutorial", range="1 \\le t \\le T"
    )
    assert got == "correct", why


# ------------------------------------------------------------------ 6. layout: in a derivation


def test_derive_refuses_a_denominator_layout_file(tmp_path) -> None:  # noqa: ANN001
    from click.testing import CliRunner

    from symbptt.catalog import DERIVATIONS_DIR
    from symbptt.cli import cli

    text = (DERIVATIONS_DIR / "homework3.yaml").read_text()
    path = tmp_path / "hw3-den.yaml"
    path.write_text(text.replace("name: homework3", "name: hw3den") + "layout: denominator\n")
    r = CliRunner().invoke(cli, ["derive", str(path)])
    assert r.exit_code == 2 and "layout: denominator" in r.output, r.output
    path.write_text(text.replace("name: homework3", "name: hw3num") + "layout: numerator\n")
    r = CliRunner().invoke(cli, ["derive", str(path), "--no-checks"])
    assert r.exit_code == 0, r.output


# ------------------------------------------------------------------ 7. one size, declared


def test_an_answer_written_out_for_n_2_is_judged_at_n_2() -> None:
    # ||h_t||^2 = h_{t,1}^2 + h_{t,2}^2 (by hand: the 2-norm with two entries) holds at n = 2
    # only; dL/dW = sum_{t=1}^{3} dL_t/dW (homework 3: a loss at every step) at T = 3 only.
    tex = "\\|h_t\\|^2 = h_{t,1}^2 + h_{t,2}^2"
    got, why = verdict(tex, "homework3")
    assert got == "wrong" and "for: 'n = 2'" in why, why
    got, why = verdict(tex, "homework3", range="T = 3, n = 2")
    assert got == "correct" and "T = 3, n = 2" in why, why
    tex = "\\frac{\\partial L}{\\partial W} = \\sum_{t=1}^{3} \\frac{\\partial L_t}{\\partial W}"
    assert verdict(tex, "homework3", range="T = 3")[0] == "correct"
    assert verdict(tex, "homework3", range="T = 2")[0] == "wrong"


def test_k_ranged_by_for_is_an_index_not_the_output_size() -> None:
    # ||W^k|| <= ||W||^k for every k >= 1 (sub-multiplicativity); ||W^k|| <= rho(W)^k / 10
    # fails at k = 1 (||W|| >= rho(W)). elman has an output size k, but for: ranges this k.
    got, why = verdict("\\|W_{hh}^{k}\\| \\le \\|W_{hh}\\|^{k}", "elman", range="1 \\le k \\le 3")
    assert got == "correct", why
    got, why = verdict(
        "\\|W_{hh}^{k}\\| \\le \\rho(W_{hh})^{k} / 10", "elman", range="1 \\le k \\le 3"
    )
    assert got == "wrong" and "k = 1" in why, why


def test_beta_table_agrees_with_what_derive_prints() -> None:
    # The checker's beta_f values are the ones symbolic/general.py prints for each activation.
    from symbptt.answers.betas import BETA_F
    from symbptt.symbolic.general import _BETA_F

    for act, value in _BETA_F.items():
        assert BETA_F[act] == value


def test_a_sum_of_chains_per_loss_keeps_the_total_derivative() -> None:
    # By hand: E = sum_t E_t and E_t reaches b_h only through h_t, so dE/db_h = sum_t dE_t/dh_t
    # dh_t/db_h with the TOTAL dh_t/db_h (the start E_t moves with t: not a sum over copies).
    got, why = verdict(
        "\\frac{\\partial E}{\\partial b_{h}} = \\sum_{t=1}^{T} \\frac{\\partial E_t}{\\partial h_t}"
        " \\frac{\\partial h_t}{\\partial b_{h}}",
        "elman",
    )
    assert got == "correct" and "immediate" not in why, why
    # ... while a sum over k of chains from the one loss E_t is over the copies of b_h (the
    # path sum verified numerically above, for any t).
    got, why = verdict(
        "\\frac{\\partial E_t}{\\partial b_{h}} = \\sum_{k=1}^{t} \\frac{\\partial E_t}{\\partial h_t}"
        " \\frac{\\partial h_t}{\\partial h_k} \\frac{\\partial h_k}{\\partial b_{h}}",
        "elman",
        range="1 \\le t \\le T",
    )
    assert got == "correct" and "immediate partial" in why, why
