// Render every arithmatex element with the vendored KaTeX, strictly.
//
// pymdownx.arithmatex (generic mode) leaves \( ... \) in <span class="arithmatex"> and
// \[ ... \] in <div class="arithmatex">. Each one is rendered with throwOnError: true and
// strict: "error", so an unknown macro or a non-standard construct throws instead of being drawn
// in red. Failures are collected in window.__katexErrors (read by tests/test_site.py); the
// element keeps its source text and gets the class "katex-failed". window.__katexDone is set to
// the number of elements looked at once the page is done.
(function () {
  "use strict";
  window.__katexErrors = window.__katexErrors || [];

  function strip(text) {
    var t = text.trim();
    var pairs = [["\\(", "\\)"], ["\\[", "\\]"], ["$$", "$$"], ["$", "$"]];
    for (var i = 0; i < pairs.length; i++) {
      var open = pairs[i][0], close = pairs[i][1];
      if (t.length >= open.length + close.length && t.indexOf(open) === 0 &&
          t.lastIndexOf(close) === t.length - close.length) {
        return t.slice(open.length, t.length - close.length);
      }
    }
    return t;
  }

  function renderAll() {
    var elements = document.querySelectorAll(".arithmatex");
    var count = 0;
    for (var i = 0; i < elements.length; i++) {
      var el = elements[i];
      if (el.getAttribute("data-katex") === "done") {
        continue;
      }
      count++;
      var source = el.textContent;
      var tex = strip(source);
      var display = el.tagName.toLowerCase() === "div";
      try {
        if (typeof katex === "undefined") {
          throw new Error("KaTeX did not load");
        }
        katex.render(tex, el, {
          displayMode: display,
          throwOnError: true,
          strict: "error",
          trust: false,
          output: "htmlAndMathml",
        });
        el.setAttribute("data-katex", "done");
      } catch (err) {
        el.textContent = source; // leave the source visible (and findable by tests)
        el.classList.add("katex-failed");
        el.setAttribute("data-katex", "failed");
        window.__katexErrors.push({
          page: window.location.pathname,
          tex: tex,
          message: String(err && err.message ? err.message : err),
        });
      }
    }
    window.__katexDone = (window.__katexDone || 0) + count;
  }

  if (typeof document$ !== "undefined" && document$.subscribe) {
    // Material for MkDocs: also re-render after instant navigation.
    document$.subscribe(renderAll);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", renderAll);
  } else {
    renderAll();
  }
})();
