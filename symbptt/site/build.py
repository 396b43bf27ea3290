"""Build the docs site: mkdocs (with symbptt/site/hooks.py) run programmatically into a folder.

`build(out_dir)` loads the repository's mkdocs.yml, points its output at `out_dir` and runs the
same build as `mkdocs build`; the hook generates every page from derivations/ on the way.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from symbptt.errors import SymbpttError
from symbptt.resources import data_root
from symbptt.site.generate import SiteBuildError

#: Where mkdocs.yml, docs/ and derivations/ are: the checkout, or the wheel's copy of them.
REPO_ROOT = data_root()
CONFIG_FILE = REPO_ROOT / "mkdocs.yml"
#: mkdocs.yml names its hook relative to the checkout; the wheel's copy needs the real path.
HOOKS_FILE = Path(__file__).resolve().with_name("hooks.py")
#: Left in every built site; mkdocs empties its output folder, so only such folders are reused.
MARKER = ".symbptt-site"


class _Collector(logging.Handler):
    """Keeps mkdocs' warnings and errors, which strict mode turns into an aborted build."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@dataclass(frozen=True)
class BuildResult:
    """Where the site went, how many HTML pages it has and how long the build took."""

    out_dir: Path
    pages: tuple[Path, ...]
    seconds: float


def build(out_dir: str | Path = "site", *, config_file: str | Path = CONFIG_FILE) -> BuildResult:
    """Build the whole site into `out_dir`; SiteBuildError (with the reason) if it fails."""
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    config_path = Path(config_file)
    if not config_path.is_file():
        raise SymbpttError(
            "mkdocs.yml not found; reinstall symbptt (the wheel ships it) or run from a checkout",
            where=str(config_path),
        )
    out = Path(out_dir).resolve()
    _refuse_foreign_folder(out)
    t0 = time.perf_counter()
    collector = _Collector()
    logger = logging.getLogger("mkdocs")
    logger.addHandler(collector)
    try:
        config = load_config(
            config_file=str(config_path), site_dir=str(out), hooks=[str(HOOKS_FILE)]
        )
        mkdocs_build(config)
    except MkDocsException as exc:
        reasons = "; ".join(collector.messages) or str(exc)
        raise SiteBuildError(reasons.removeprefix("symbptt: ")) from None
    finally:
        logger.removeHandler(collector)
    (out / MARKER).write_text("built by symbptt docs build; this folder is emptied on rebuild\n")
    seconds = time.perf_counter() - t0
    html = tuple(sorted(p.relative_to(out) for p in out.rglob("*.html") if p.name != "404.html"))
    return BuildResult(out, html, seconds)


def _refuse_foreign_folder(out: Path) -> None:
    """mkdocs deletes everything in its output folder: refuse a non-empty one we did not build."""
    if out.exists() and not out.is_dir():
        raise SymbpttError("exists and is not a folder", where=str(out))
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise SymbpttError(
            "folder is not empty and was not built by symbptt; the build would delete its "
            "contents, so choose an empty or new folder with --out",
            where=str(out),
        )
