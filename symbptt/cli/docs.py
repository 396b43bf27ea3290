"""`symbptt docs build` (the static site from derivations/) and `symbptt docs serve`."""

from __future__ import annotations

import functools
from collections.abc import Callable
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING

import click

from symbptt.errors import InputError

if TYPE_CHECKING:
    from symbptt.site.build import BuildResult

#: Modules of the `docs` extra; without them every other command still works.
DOCS_EXTRA = ("mkdocs", "material", "pymdownx", "matplotlib")


def _out_option(help_text: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """The --out option shared by build and serve."""
    return click.option(
        "--out",
        "out_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("site"),
        show_default=True,
        help=help_text,
    )


def _build_or_exit(out_dir: Path) -> BuildResult:
    """Build into out_dir; a failed build prints its reason and exits with code 1."""
    try:
        from symbptt.site import SiteBuildError, build
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.split(".")[0] in DOCS_EXTRA:
            raise InputError(
                f"the docs site needs the docs extra (module {exc.name!r} is missing): "
                "pip install 'symbptt[docs]' (in a checkout: pip install -e '.[docs]')"
            ) from None
        raise
    from symbptt.cli.progress import ticker

    try:
        with ticker("building the docs site"):
            return build(out_dir)
    except SiteBuildError as exc:
        click.echo(f"symbptt: docs build failed: {exc}", err=True)
        raise SystemExit(1) from None


@click.group("docs")
def docs() -> None:
    """The docs site: a page per derivation with its checks, plots and the exercises."""


@docs.command("build")
@_out_option("Folder to write the site to.")
def build_cmd(out_dir: Path) -> None:
    """Build the site; a failing check stops the build with exit code 1."""
    result = _build_or_exit(out_dir)
    click.echo(f"built {len(result.pages)} pages into {result.out_dir} in {result.seconds:.1f} s")


@docs.command("serve")
@_out_option("Folder to build into and serve.")
@click.option("--port", type=int, default=8000, show_default=True, help="Port on 127.0.0.1.")
def serve_cmd(out_dir: Path, port: int) -> None:
    """Build the site, then serve it on http://127.0.0.1:PORT until interrupted."""
    result = _build_or_exit(out_dir)
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(result.out_dir))
    with ThreadingHTTPServer(("127.0.0.1", port), handler) as httpd:
        click.echo(f"serving {result.out_dir} on http://127.0.0.1:{port}/ (Ctrl-C stops)")
        try:
            httpd.serve_forever()
        except KeyboardInterrupt:
            pass
