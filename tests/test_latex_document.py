"""Document content in each text's notation, formats, and determinism."""

from __future__ import annotations

import json
import re

import pytest

from symbptt import catalog
from symbptt.builders.vanilla import build
from symbptt.errors import InputError
from symbptt.latex.expansion import MAX_T, term_matrix
from symbptt.latex.formats import render, to_markdown, to_tex
from symbptt.latex.notation import Names
from symbptt.model import Role


def norm(tex: str) -> str:
    tex = re.sub(r"\s+", "", tex)
    return re.sub(r"([_^])\{(\\?\w)\}", r"\1\2", tex)


MODEL = "The model in the text's notation"
GENERAL = "For every T"
WRITTEN = "The gradient of"


def steps_of(name: str, section: str, **kw):
    """Steps of the sections whose title starts with `section` (sections repeat lhs: h_t, s_t)."""
    d = build(catalog.load(name), checks=False, **kw)
    found = [s for sec in d.sections if sec.title.startswith(section) for s in sec.steps]
    assert found, f"no section {section!r} in {[sec.title for sec in d.sections]}"
    return found


def find(steps, lhs: str):
    return [s for s in steps if norm(s.lhs) == norm(lhs)]


def test_dl4nlp_u_is_recurrent_w_is_input() -> None:
    # dl4nlp: s_t = U h_{t-1} + W x_t, in the model section and in the every-T statements
    for section in (MODEL, GENERAL):
        (net,) = find(steps_of("dl4nlp", section), "s_t")
        assert {norm(t) for t in net.rhs.split("+")} == {norm("U h_{t-1}"), norm("W x_t")}


def test_blog_forward_names() -> None:
    # blog: h_t = sigma(W_h h_{t-1} + W_x x_t + b_h), y_t = sigma(W_y h_t + b_y)
    for section in (MODEL, GENERAL):
        steps = steps_of("blog", section)
        (pre,) = find(steps, "a_t")
        assert {norm(t) for t in pre.rhs.split("+")} == {
            norm("W_{h} h_{t-1}"),
            norm("W_{x} x_t"),
            norm("b_{h}"),
        }
        (h,) = find(steps, "h_t")
        assert norm(h.rhs) == norm(r"\sigma\left(a_t\right)")
        (o,) = find(steps, "o_t")
        assert {norm(t) for t in o.rhs.split("+")} == {norm("W_{y} h_t"), norm("b_{y}")}


def test_dl4nlp_double_sum_over_k() -> None:
    # dl4nlp: dE/dU = sum_t sum_{k=1}^t delta_{t,k} h_{k-1}^T; the inner sum is the step-t term
    steps = steps_of("dl4nlp", WRITTEN, wrt=["U"])
    inner = find(steps, r"\nabla_{U,t} E")
    assert [norm(s.rhs) for s in inner] == [norm(r"\sum_{k=1}^{t} \delta_{t,k} h_{k-1}^\top")]
    (total,) = find(steps, r"\frac{\partial E}{\partial U}")
    assert len(total.terms) == 1 + 2 + 3  # pairs k <= t for T = 3


def test_tutorial_eq5_matrix() -> None:
    # tutorial eq. 5: [grad_{W,t} E]_{ji} = delta_{t,j} s_{t-1,i}
    expected = (
        r"\begin{pmatrix} \delta_{t,1} s_{t-1,1} & \delta_{t,1} s_{t-1,2} \\"
        r" \delta_{t,2} s_{t-1,1} & \delta_{t,2} s_{t-1,2} \end{pmatrix}"
    )
    got = term_matrix(Names(catalog.load("tutorial")), Role.RECURRENT, "t", 2, 2, 2)
    assert norm(got) == norm(expected)


def test_tutorial_eq6_sum_over_time() -> None:
    # tutorial eq. 6: grad_W E = sum_{k=1}^{t} grad_{W,k} E; for T = 3 three terms, s_0 .. s_2
    steps = steps_of("tutorial", WRITTEN, wrt=["W"], T=3, n=2)
    (total,) = find(steps, r"\frac{\partial E}{\partial W}")
    assert len(total.terms) == 3
    for t, term in enumerate(total.terms, start=1):
        assert norm(rf"\delta_{{{t},2}} s_{{{t - 1},1}}") in norm(term)


def test_tutorial_eq8_input_term() -> None:
    # tutorial eq. 8: grad_{U,t} E = delta_t x_t^T
    (one, _) = find(steps_of("tutorial", WRITTEN, wrt=["U"]), r"\nabla_{U,t} E")
    assert norm(one.rhs) == norm(r"\delta_t x_t^\top")


def test_homework_local_delta_is_not_the_total_error() -> None:
    # homework: delta^t_j = dL_t/dh^t_j is local; the per-step term needs the total error term
    for section in (MODEL, GENERAL):
        (defn,) = find(steps_of("homework3", section), r"\delta_t")
        assert norm(defn.rhs) == norm(r"\frac{\partial L_t}{\partial h_t}")
    (one, _) = find(steps_of("homework3", WRITTEN, wrt=["W"]), r"\nabla_{W,t} L")
    assert r"\delta" not in one.rhs and r"\nu" in one.rhs


def test_wrt_limits_sections_and_unknown_lists_parameters() -> None:
    d = build(catalog.load("blog"), wrt=["W_x"], checks=False)
    titles = [s.title for s in d.sections]
    assert any("W_{x}" in t for t in titles) and not any("W_{h}" in t for t in titles)
    with pytest.raises(InputError, match="W_x, W_h, b_h, W_y, b_y"):
        build(catalog.load("blog"), wrt=["Q"], checks=False)


def test_too_large_names_limit_and_general_form() -> None:
    with pytest.raises(InputError, match=rf"T <= {MAX_T}.*--form general"):
        build(catalog.load("elman"), T=MAX_T + 1, checks=False)
    d = build(catalog.load("elman"), T=500, form="general", checks=False)
    assert d.T is None and not any("written out" in s.title for s in d.sections)


def test_same_input_same_bytes() -> None:
    model = catalog.load("blog")
    for fmt in ("tex", "fragment", "markdown", "json"):
        a = render(build(model, checks=False), fmt)
        b = render(build(catalog.load("blog"), checks=False), fmt)
        assert a == b


def test_json_shape() -> None:
    data = json.loads(render(build(catalog.load("dl4nlp"), checks=False), "json"))
    assert data["model"] == "dl4nlp" and data["T"] == 3 and data["n"] == 2
    assert data["steps"] and all(
        {"lhs", "rhs", "reason", "latex"} <= set(s) and s["reason"] for s in data["steps"]
    )
    assert isinstance(data["checks"], list)


def test_markdown_uses_display_dollars_and_tex_is_standalone() -> None:
    d = build(catalog.load("elman"), checks=False)
    md = to_markdown(d)
    assert md.count("$$") == 2 * len(d.steps)
    tex = to_tex(d)
    assert tex.startswith(r"\documentclass{article}") and tex.endswith("\\end{document}\n")
    used = set(re.findall(r"\\usepackage(?:\[[^]]*\])?\{([^}]*)\}", tex))
    assert used <= {"amsmath", "amssymb", "bm"}


@pytest.mark.slow
def test_every_step_has_a_reason() -> None:
    for name in catalog.builtin_names():
        for s in build(catalog.load(name), checks=False).steps:
            assert s.reason.strip(), (name, s.latex)


def test_blog_three_paths_farthest_carries_sigma_prime_three_times_and_w_h_twice() -> None:
    # blog: dL_3/dW_x is a sum over three paths; the farthest carries sigma' three times, W_h twice
    d = build(catalog.load("blog"), wrt=["W_x"], form="paths", T=3, n=2, checks=False)
    (sec,) = [s for s in d.sections if s.title.startswith("Path sums")]
    paths = [s for s in sec.steps if s.relation == ":"]
    assert len(paths) == 3
    assert [p.lhs.count(r"\to") for p in paths] == [
        3,
        4,
        5,
    ]  # L_3 -> y_3 -> h_3 (-> h_2 -> h_1) -> W_x
    assert "3 times (steps 1, 2, 3)" in paths[-1].reason and "power 2" in paths[-1].reason
    assert "twice (steps 2, 3)" in paths[1].reason and "power 1" in paths[1].reason
    assert "once (step 3)" in paths[0].reason and "power 0" in paths[0].reason


def test_jacobian_product_matches_core_and_bound_printed() -> None:
    d = build(catalog.load("homework3"), checks=False)
    (sec,) = [s for s in d.sections if s.title.startswith("Jacobian")]
    assert "equal to the symbolic core" in sec.steps[1].reason
    bound = sec.steps[-1]
    # homework 3's delta_t = dL_t/dh_t is local: delta_k is another step's loss, so the bound is
    # on dL_t/dh_k = (dh_t/dh_k)^T delta_t (by hand: t - k factors diag(sigma') W, each of norm
    # <= beta_W beta_sigma); homework 3's f is sigma, sigma' <= 1/4
    assert norm(bound.latex) == norm(
        r"\left\lVert \frac{\partial L_{t}}{\partial h_{k}} \right\rVert \le "
        r"\left\lVert \delta_{t} \right\rVert \left(\beta_{W} \beta_{\sigma}\right)^{t-k}"
    )
    assert r"$\beta_{\sigma} = 1/4$" in bound.reason
    # and ||dh_t/dh_k|| <= (beta_W beta_sigma)^{t-k}, true for every convention
    assert norm(sec.steps[-2].latex) == norm(
        r"\left\lVert \frac{\partial h_{t}}{\partial h_{k}} \right\rVert \le "
        r"\left(\beta_{W} \beta_{\sigma}\right)^{t-k}"
    )


def test_no_false_bound_on_the_total_delta() -> None:
    # elman: delta_t = dE/da_t with a loss at every step. With W_hh = 0, delta_k = f'(a_k) (.)
    # W_hy^T (yhat_k - y_k) != 0 while ||delta_t|| (beta_W beta_f)^{t-k} = 0 for t > k: the
    # bound on the total delta is false; the printed bound is on dE_t/da_k, one step's loss.
    for sec in build(catalog.load("elman"), checks=False).sections:
        for step in sec.steps:
            if step.relation == r"\le":
                assert not norm(step.lhs).startswith(norm(r"\left\lVert \delta")), step.latex
    (bound,) = find(
        steps_of("elman", GENERAL), r"\left\lVert \frac{\partial E_t}{\partial a_k} \right\rVert"
    )
    assert norm(bound.rhs).startswith(
        norm(r"\left\lVert \frac{\partial E_t}{\partial a_t} \right\rVert")
    )


# ---- terms in the order the source text writes them (../shared/docs/source-material.md)


def _one(name: str, section: str, lhs: str):
    (step,) = find(steps_of(name, section), lhs)
    return step


@pytest.mark.parametrize("section", [MODEL, GENERAL])
def test_pre_activation_terms_in_the_texts_order(section: str) -> None:
    # dl4nlp: s_t = U h_{t-1} + W x_t; blog: W_h h_{t-1} + W_x x_t + b_h; homework 3:
    # W h_{t-1} + U x_t; tutorial: net_t = U x_t + W s_{t-1}
    expected = {
        "dl4nlp": ("s_t", "U h_{t-1} + W x_t"),
        "blog": ("a_t", "W_{h} h_{t-1} + W_{x} x_t + b_{h}"),
        "homework3": ("s_t", "W h_{t-1} + U x_t"),
        "tutorial": (r"\mathrm{net}_t", "U x_t + W s_{t-1}"),
    }
    for name, (lhs, rhs) in expected.items():
        assert norm(_one(name, section, lhs).rhs) == norm(rhs), name


def test_homework_total_state_gradient_writes_the_local_delta_first() -> None:
    # homework 3: dL/dh_t = delta_t + W^T (sigma'(s_{t+1}) (.) dL/dh_{t+1}), delta_t = dL_t/dh_t
    step = _one("homework3", GENERAL, r"\frac{\partial L}{\partial h_t}")
    assert norm(step.rhs) == norm(
        r"\delta_t + W^\top \left(\sigma'\left(s_{t+1}\right) \odot"
        r" \frac{\partial L}{\partial h_{t+1}}\right)"
    )


def test_bound_writes_the_norm_before_the_power() -> None:
    # tutorial: ||delta_k|| <= ||delta_t|| (beta_W beta_f)^{t-k}
    step = _one("tutorial", GENERAL, r"\left\lVert \delta_k \right\rVert")
    assert norm(step.latex) == norm(
        r"\left\lVert \delta_k \right\rVert \le \left\lVert \delta_t \right\rVert"
        r" \left(\beta_{W} \beta_f\right)^{t-k}"
    )


def test_dl4nlp_double_sum_outer_t_then_inner_k() -> None:
    # dl4nlp: dE/dU = sum_t sum_{k=1}^{t} delta_{t,k} h_{k-1}^T (no stacked \substack limits)
    step = _one("dl4nlp", GENERAL, r"\frac{\partial E}{\partial U}")
    assert norm(step.rhs) == norm(r"\sum_{t=1}^{T} \sum_{k=1}^{t} \delta_{t,k} h_{k-1}^\top")
    assert r"\substack" not in step.rhs


def test_reasons_are_prose_with_the_models_math() -> None:
    # dl4nlp writes s_t (never net), its recurrent matrix is U; homework 3 writes sigma and s_t
    d = build(catalog.load("dl4nlp"), checks=False)
    general = [s for sec in d.sections if sec.title.startswith(GENERAL) for s in sec.steps]
    reasons = " ".join(s.reason for s in general)
    assert "net" not in reasons and "||" not in reasons and "<=" not in reasons
    assert norm(r"$\left\lVert U \right\rVert \le \beta_{U}$") in norm(reasons)
    assert norm("$s_{k+1} = U h_k + W x_{k+1}$") in norm(reasons)
    hw = " ".join(s.reason for s in steps_of("homework3", GENERAL))
    assert norm("$h_t$ also feeds $s_{t+1}$") in norm(hw) and "net" not in hw
    for s in general:  # every $ opens and closes a span
        assert s.reason.count("$") % 2 == 0, s.reason


def test_reasons_reach_every_format_as_math() -> None:
    d = build(catalog.load("dl4nlp"), checks=False)
    tex, md = render(d, "tex"), render(d, "markdown")
    data = json.loads(render(d, "json"))
    r = r"$h_{t} = f\left(s_{t}\right)$"
    assert r in tex and r in md
    assert any(r in s["reason"] for s in data["steps"])
    assert r"\textbackslash" not in tex  # no LaTeX printed as escaped text


def test_sizes_sentence_lists_matrices_in_the_texts_order() -> None:
    # blog: h_t = sigma(W_h h_{t-1} + W_x x_t + b_h); tutorial: net_t = U x_t + W s_{t-1}
    from symbptt.catalog import load
    from symbptt.latex.model_section import model_section

    blog = model_section(load("blog")).text
    assert blog.index("W_{h} \\in") < blog.index("W_{x} \\in")
    tutorial = model_section(load("tutorial")).text
    assert tutorial.index("U \\in") < tutorial.index("W \\in")
