"""The docs site, built once and opened page by page in Debian's headless Chromium (playwright).

For every page: no KaTeX error collected by docs/assets/katex-init.js, no raw $$, \\( or \\[ in
the visible text, every arithmatex element holding rendered KaTeX, every image loaded, no request
to any host but 127.0.0.1 and no failed request; a screenshot of each page is saved. A negative
test feeds the same checker a page with an unknown macro and expects it to be caught. The claims
page lists every answer-file claim with its LaTeX rendered and marks the texts' known mistakes.
"""

from __future__ import annotations

import functools
import os
import shutil
import threading
import time
import types
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np
import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HOST = "127.0.0.1"

pytest.importorskip("mkdocs", reason="mkdocs is not installed (pip install -e '.[docs]')")
pytest.importorskip(
    "material", reason="mkdocs-material is not installed (pip install -e '.[docs]')"
)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@pytest.fixture(scope="module")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The site built once by symbptt.site.build into a temporary folder."""
    from symbptt.site import build

    result = build(tmp_path_factory.mktemp("site") / "site")
    print(f"\nsite built in {result.seconds:.1f} s: {len(result.pages)} pages")
    return result


@pytest.fixture(scope="module")
def server(built_site: Any) -> Iterator[str]:
    """The built site served over http on 127.0.0.1 (an ephemeral port) in a thread."""
    handler = functools.partial(_QuietHandler, directory=str(built_site.out_dir))
    httpd = ThreadingHTTPServer((HOST, 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the module: Debian's binary, never a downloaded one."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def shots_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: $SYMBPTT_SCREENSHOTS if set, else a temporary folder."""
    wanted = os.environ.get("SYMBPTT_SCREENSHOTS")
    path = Path(wanted) if wanted else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


# Collected in the page: raw delimiters are looked for in the text outside rendered math (KaTeX
# keeps the TeX source in a hidden annotation, which may legitimately contain "\[4pt]").
_INSPECT_JS = """
() => {
  const math = Array.from(document.querySelectorAll('.arithmatex'));
  const unrendered = math.filter(el => !el.querySelector('.katex')).map(el => el.textContent);
  const clone = document.body.cloneNode(true);
  clone.querySelectorAll('.katex, script, style, noscript').forEach(el => el.remove());
  const text = clone.textContent;
  const raw = ['$$', '\\\\(', '\\\\['].filter(d => text.includes(d));
  clone.querySelectorAll('pre, code').forEach(el => el.remove());
  const commands = clone.textContent.match(/\\\\[A-Za-z]+/g) || [];
  const imgs = Array.from(document.images);
  const wide = Array.from(document.querySelectorAll('.md-content table'))
    .filter(t => {
      const wrap = t.closest('.md-typeset__scrollwrap');
      const clipped = wrap && t.getBoundingClientRect().right > wrap.getBoundingClientRect().right + 1;
      return clipped || t.scrollWidth > t.clientWidth + 1;
    })
    .map(t => `${t.rows[0].textContent.trim().slice(0, 60)} (${t.scrollWidth} px wide)`);
  return {
    errors: window.__katexErrors || null,
    done: window.__katexDone,
    mathCount: math.length,
    katexCount: document.querySelectorAll('.katex').length,
    redErrors: document.querySelectorAll('.katex-error').length,
    unrendered: unrendered,
    raw: raw,
    commands: Array.from(new Set(commands)),
    images: imgs.length,
    wideTables: wide,
    brokenImages: imgs.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src),
  };
}
"""


def inspect_page(browser: Any, url: str, shot: Path | None) -> tuple[dict[str, Any], list[str]]:
    """Open one page, wait for the math, and return what it shows plus the off-host requests."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    foreign: list[str] = []
    failed: list[str] = []

    def on_request(req: Any) -> None:
        parsed = urlparse(req.url)
        if parsed.scheme in ("data", "blob"):
            return
        if parsed.hostname != HOST:
            foreign.append(req.url)

    page.on("request", on_request)
    page.on("requestfailed", lambda req: failed.append(f"failed: {req.url}"))
    page.on(
        "response",
        lambda r: failed.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None,
    )
    try:
        page.goto(url, wait_until="load")
        page.wait_for_function("() => window.__katexDone !== undefined", timeout=10_000)
        info = page.evaluate(_INSPECT_JS)
        if shot is not None:
            page.screenshot(path=str(shot), full_page=True)
    finally:
        page.close()
    return info, foreign + failed


def page_problems(info: dict[str, Any], network: list[str]) -> list[str]:
    """Every way a page fails the site's rules, as readable strings (empty: the page is fine)."""
    problems = []
    if info["errors"] is None:
        problems.append("katex-init.js did not run (window.__katexErrors missing)")
    elif info["errors"]:
        problems += [f"KaTeX error: {e['message']} in {e['tex'][:80]!r}" for e in info["errors"]]
    if info["redErrors"]:
        problems.append(f"{info['redErrors']} .katex-error elements")
    if info["unrendered"]:
        problems += [f"math not rendered: {t[:80]!r}" for t in info["unrendered"]]
    if info["raw"]:
        problems.append(f"raw math delimiters in the visible text: {info['raw']}")
    if info["commands"]:
        problems.append(f"raw LaTeX commands in prose (outside math and code): {info['commands']}")
    if info["wideTables"]:
        problems += [f"table wider than the page (columns hidden): {t}" for t in info["wideTables"]]
    if info["brokenImages"]:
        problems += [f"image did not load: {src}" for src in info["brokenImages"]]
    problems += [f"request off 127.0.0.1 or failed: {u}" for u in network]
    return problems


@pytest.mark.slow
def test_every_page_renders_offline(
    built_site: Any, server: str, browser: Any, shots_dir: Path
) -> None:
    """Every built page: all math rendered by KaTeX, images loaded, nothing fetched off-host."""
    t0 = time.perf_counter()
    report: dict[str, list[str]] = {}
    counts: dict[str, tuple[int, int]] = {}
    for rel in built_site.pages:
        url = f"{server}/{rel.as_posix()}"
        parent = rel.parent.as_posix()  # "." for the home page
        name = "index" if parent == "." else parent.replace("/", "_")
        info, network = inspect_page(browser, url, shots_dir / f"{name}.png")
        counts[rel.as_posix()] = (info["mathCount"], info["images"])
        problems = page_problems(info, network)
        if problems:
            report[rel.as_posix()] = problems
    summary = "\n".join(f"  {p}: {m} math elements, {i} images" for p, (m, i) in counts.items())
    print(f"\nchecked {len(counts)} pages in {time.perf_counter() - t0:.1f} s "
          f"(screenshots in {shots_dir}):\n{summary}")  # fmt: skip
    assert not report, "pages that fail:\n" + "\n".join(
        f"- {page}:\n    " + "\n    ".join(problems) for page, problems in report.items()
    )
    # the pages that must carry math and figures really do (an empty page would pass the above)
    derivation_pages = [p for p in counts if p.startswith("derivations/")]
    files = Path(__file__).parents[1] / "derivations"  # built-ins and the shipped examples
    assert len(derivation_pages) == len([*files.glob("*.yaml"), *files.glob("examples/*.yaml")])
    for p in derivation_pages:
        math, images = counts[p]
        assert math >= 5 and images >= 2, f"{p}: {math} math elements, {images} images"
    assert counts["matrix-powers/index.html"][0] >= 5
    assert counts["matrix-powers/index.html"][1] >= 1


@pytest.mark.slow
def test_an_unknown_macro_is_caught(built_site: Any, server: str, browser: Any) -> None:
    """The same checker on a page with an unknown macro reports it: the checks can fail."""
    bad = built_site.out_dir / "_negative" / "index.html"
    bad.parent.mkdir(exist_ok=True)
    bad.write_text(
        "<!doctype html><html><head><meta charset='utf-8'>"
        "<link rel='stylesheet' href='../assets/katex/katex.min.css'></head><body>"
        "<p>fine: <span class='arithmatex'>\\(h_t = \\tanh(W h_{t-1})\\)</span></p>"
        "<div class='arithmatex'>\\[\\notamacro{W}^\\top\\]</div>"
        "<div class='md-content'><table style='display:inline-block;max-width:200px;"
        "overflow:auto'><tr><td>a very wide cell</td><td style='min-width:600px'>x</td></tr>"
        "</table><div class='md-typeset__scrollwrap' style='overflow-x:auto;width:200px'>"
        "<div class='md-typeset__table'><table><tr><td>material's wrapper</td>"
        "<td style='min-width:600px'>y</td></tr></table></div></div></div>"
        "<script src='../assets/katex/katex.min.js'></script>"
        "<script src='../assets/katex-init.js'></script></body></html>",
        encoding="utf-8",
    )
    info, network = inspect_page(browser, f"{server}/_negative/index.html", None)
    problems = page_problems(info, network)
    assert info["mathCount"] == 2 and info["katexCount"] >= 1, info
    assert any("notamacro" in e["tex"] for e in info["errors"]), info["errors"]
    assert any(p.startswith("math not rendered") for p in problems), problems
    assert any(p.startswith("raw math delimiters") for p in problems), problems
    assert any(p.startswith("raw LaTeX commands") for p in problems), problems
    wide = [p for p in problems if p.startswith("table wider than the page")]
    assert len(wide) == 2 and "material's wrapper" in wide[1], problems
    assert network == [], network


def test_a_failing_check_stops_the_build(monkeypatch: pytest.MonkeyPatch) -> None:
    """generate() refuses to publish a derivation whose check failed, naming the check."""
    from symbptt.checkrow import CheckRow
    from symbptt.site import generate as gen

    failing = CheckRow(name="bptt == direct", form="W", passed=False, max_error=0.5, seconds=0.01)
    fake_verify = types.SimpleNamespace(
        run_checks=lambda model, T, n, seed=0: types.SimpleNamespace(checks=[failing])
    )
    real = gen.optional_module
    monkeypatch.setattr(
        gen, "optional_module", lambda name: fake_verify if name == "symbptt.verify" else real(name)
    )
    from symbptt.site import claims_page

    monkeypatch.setattr(claims_page, "generate_page", lambda: ("# claims", "no claims run"))
    with pytest.raises(gen.SiteBuildError, match=r"check\(s\) failed.*bptt == direct.*0\.5"):
        gen.generate()


def test_cells_are_labelled_where_they_live() -> None:
    """The rendered cells are the engine's own step functions, labelled symbptt.engine.<name>."""
    from symbptt import catalog, engine
    from symbptt.site.generate import _cells_section

    md = _cells_section(catalog.load("dl4nlp")).markdown
    # dl4nlp: s_t = U h_{t-1} + W x_t, recurrent term first and no bias
    assert "*`symbptt.engine.rnn_cell_forward_step_recurrent_first_no_bias`*" in md
    assert "*`symbptt.engine.rnn_cell_backward_step`*" in md
    for name in ("rnn_cell_forward_step_recurrent_first_no_bias", "rnn_cell_backward_step"):
        assert getattr(engine, name).__module__ == "symbptt.engine"  # the label is where it lives
    assert "`symbptt.latex.cells.rnn_cell" not in md and "engine.forward" in md
    # dl4nlp's delta has two indices: the engine's total error is printed as nu, and said so
    assert "$\\nu_{t}$ is the engine's total error term" in md


def _notation_markdown(name: str) -> tuple[str, Any]:
    """The page's "Model and notation" section and the document's model section it prints."""
    from symbptt import catalog
    from symbptt.site import pages
    from symbptt.site.generate import _document_sections

    entry = catalog.load_entry(name)
    _, model_section = _document_sections(entry.model, 2, 2)
    return pages.notation_section(entry, model_section).markdown, model_section


def test_the_page_prints_the_documents_model_section() -> None:
    """The page's model equations are the derivation's model section (one printer): every step
    of it appears as a math block with its reason, in the document's order."""
    from symbptt.latex.formats import display_math

    for name in ("elman", "dl4nlp", "goodfellow", "homework3", "tutorial"):
        md, section = _notation_markdown(name)
        at = 0
        for step in section.steps:
            block = f"\n$$\n{display_math(step)}\n$$\n"
            found = md.find(block, at)
            assert found >= 0, (name, step.latex)
            assert md[found + len(block) :].startswith(f"\n*{step.reason}*"), (name, step.reason)
            at = found + len(block)


def test_the_error_term_is_written_in_the_texts_notation() -> None:
    """The error-term line beside the conventions uses the text's own time index: Goodfellow et
    al. write a^(t) (time as a superscript), dl4nlp delta_{t,k} = dE_t/ds_k (source texts)."""
    md, _ = _notation_markdown("goodfellow")
    line = next(x for x in md.splitlines() if x.startswith("- error term"))
    assert line == (
        r"- error term (convention `net`): $\delta^{(t)} = \frac{\partial L}{\partial a^{(t)}}$"
    )
    md, _ = _notation_markdown("dl4nlp")
    line = next(x for x in md.splitlines() if x.startswith("- error term"))
    assert line == (
        r"- error term (convention `per_step`): "
        r"$\delta_{t,k} = \frac{\partial E_{t}}{\partial s_{k}}$"
    )


# The texts' known mistakes (../shared/docs/source-material.md): homework 3's Ex 1(b) final
# formula (local delta), the Ex 2(c) middle step (power taken twice, "Q - 1" for Q^{-1}) and its
# "all eigenvalues 1 => the power is the matrix"; dl4nlp's one-line delta with f'(s_t) for f'(s_k).
KNOWN_WRONG = {
    ("homework3", "ex1b-final"),
    ("homework3", "ex2c-solution"),
    ("homework3", "ex2c-middle"),
    ("homework3", "ex2c-q-minus-1"),
    ("homework3", "ex2c-unit-eigenvalues"),
    ("dl4nlp", "delta-tk-one-line"),
    ("blog", "explodes-large-Wh"),
}

_CLAIM_ROWS_JS = """
() => Array.from(document.querySelectorAll('h2[id]')).flatMap(h => {
  let el = h.nextElementSibling;
  while (el && el.tagName !== 'H2' && !el.querySelector('tr.claim-row')) el = el.nextElementSibling;
  if (!el || el.tagName === 'H2') return [];
  return Array.from(el.querySelectorAll('tr.claim-row')).map(tr => ({
    text: h.id,
    id: tr.querySelector('td code').textContent,
    verdict: tr.querySelector('.verdict').textContent,
    answerMath: Array.from(tr.querySelectorAll('.claim-answer .arithmatex'))
      .filter(m => m.querySelector('.katex')).length,
    why: (tr.querySelector('.claim-reason') || {textContent: ''}).textContent,
    counterexample: (tr.querySelector('.claim-ce') || {textContent: ''}).textContent,
  }));
})
"""


@pytest.mark.slow
def test_claims_page_lists_every_claim(built_site: Any, server: str, browser: Any) -> None:
    """Each text's answer-file claims are rows of its table, their LaTeX rendered, and the texts'
    known mistakes (and only those) are marked WRONG with the reason."""
    import yaml

    assert Path("claims/index.html") in built_site.pages
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(f"{server}/claims/", wait_until="load")
        page.wait_for_function("() => window.__katexDone !== undefined", timeout=10_000)
        rows = page.evaluate(_CLAIM_ROWS_JS)
    finally:
        page.close()
    by_key = {(r["text"], r["id"]): r for r in rows}
    assert len(by_key) == len(rows), "a claim appears twice"
    claim_files = sorted((Path(__file__).parents[1] / "derivations" / "claims").glob("*.yaml"))
    assert len(claim_files) == 6  # blog, course-notes, dl4nlp, goodfellow, homework3, tutorial
    for path in claim_files:
        for item in yaml.safe_load(path.read_text(encoding="utf-8"))["answers"]:
            row = by_key.get((path.stem, item["id"]))
            assert row is not None, f"{path.stem} {item['id']} is not on the page"
            assert row["answerMath"] >= 1, f"{path.stem} {item['id']}: its answer is not rendered"
    assert {k for k, r in by_key.items() if r["verdict"] == "WRONG"} == KNOWN_WRONG
    assert {r["verdict"] for r in rows} <= {"confirmed", "WRONG", "undecided"}
    for key in KNOWN_WRONG:
        assert by_key[key]["why"].startswith("Why:"), key
    # the Jordan block: [[1, 1], [0, 1]]^5 = [[1, 5], [0, 1]], computed here, is on the page
    power = np.linalg.matrix_power(np.array([[1, 1], [0, 1]]), 5)
    assert power.tolist() == [[1, 5], [0, 1]]
    ce = by_key[("homework3", "ex2c-unit-eigenvalues")]["counterexample"]
    assert ce.startswith("Counterexample:") and "n = 5" in ce, ce


def test_claims_page_escapes_text_and_fails_the_build_on_a_broken_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Statements and reasons are HTML-escaped; an error in the claims run stops the build."""
    from symbptt import claims
    from symbptt.site import claims_page
    from symbptt.site import generate as gen

    hostile = claims.ClaimResult(
        "blog", "x-1", "<script>alert(1)</script> a < b & c", "wrong",
        "value Q \\Lambda^{30} Q - 1 <b>bold</b>", {"M": [[1, 2], [3, 4]], "n<": "<i>"}, "eigen",
    )  # fmt: skip
    md = claims_page.claims_page([hostile], {})
    assert "<script>" not in md and "<b>" not in md and "<i>" not in md
    assert "&lt;script&gt;alert(1)&lt;/script&gt; a &lt; b &amp; c" in md
    assert "<code>\\Lambda^{30}</code>" in md  # TeX in a reason is set as code, not prose
    assert "\\begin{pmatrix} 1 &amp; 2 \\\\ 3 &amp; 4 \\end{pmatrix}" in md

    def broken() -> list[Any]:
        raise RuntimeError("grader crashed")

    monkeypatch.setattr(claims, "all_claims", broken)
    with pytest.raises(gen.SiteBuildError, match=r"claims.*RuntimeError: grader crashed"):
        gen.generate()
