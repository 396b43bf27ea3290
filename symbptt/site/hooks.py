"""MkDocs hooks (mkdocs.yml `hooks:`): add the generated pages and figures to the build.

Nothing is written into docs/: generated pages and PNGs are `File.generated` objects, so both
`symbptt docs build` and a plain `mkdocs build` produce the same site. A failing check aborts the
build with the check's name and error.
"""

from __future__ import annotations

import time

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from symbptt.errors import SymbpttError
from symbptt.site import markers
from symbptt.site.generate import SiteBuildError, generate


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Generate every page and figure and add them to the build's files."""
    t0 = time.perf_counter()
    try:
        site = generate()
    except SiteBuildError as exc:
        raise PluginError(f"symbptt: site not built: {exc}") from None
    for path, text in site.pages.items():
        if files.get_file_from_path(path) is not None:
            raise PluginError(f"symbptt: generated page {path} would replace a file in docs/")
        files.append(File.generated(config, path, content=text))
    for path, data in site.images.items():
        files.append(File.generated(config, path, content=data))
    config.nav = site.nav  # the nav lists the derivations found in derivations/
    slowest = sorted(site.timings.items(), key=lambda kv: -kv[1])[:4]
    print(f"symbptt: generated {len(site.pages)} pages, {len(site.images)} figures "
          f"in {time.perf_counter() - t0:.1f} s (slowest: "
          + ", ".join(f"{k} {v:.1f} s" for k, v in slowest) + ")")  # fmt: skip
    return files


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Fill the `[[symbptt:...]]` markers of hand-written pages with generated content."""
    try:
        return markers.expand(markdown, page.file.src_uri)
    except SymbpttError as exc:
        raise PluginError(f"symbptt: {exc}") from None
