"""Build the tutorial site into build/site/ (`make site` runs this; so does tests/test_site.py).

Sphinx reads from build/site-src/, where the README, the data codebooks and the notebooks are copied in
the repository's layout, so that a relative link such as the README's `data/README.md` resolves on the
site as it does on disk; docs/*.md (the home page) go to its top. They are copied rather than linked:
Sphinx resolves symbolic links and would then find the files outside its source folder. Modification
times are kept, so an unchanged page is not rebuilt. Any Sphinx warning fails the build (-W), after the
whole build has run (--keep-going), so that every warning is shown at once.

    python docs/build_site.py          # exit status 0, or 1 with Sphinx's warnings on stderr
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from sphinx.cmd.build import build_main

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
BUILD = ROOT / "build"
SOURCE_DIR = BUILD / "site-src"
SITE_DIR = BUILD / "site"
DOCTREE_DIR = BUILD / "site-doctrees"
#: Globs relative to the repository root: every file the site shows besides docs/*.md.
SITE_SOURCES = ("README.md", "data/README.md", "data/*/README*.md", "notebooks/*.ipynb")


def site_files() -> list[tuple[Path, Path]]:
    """(file in the repository, its path in the site's source folder), docs/*.md placed at the top."""
    pairs = [(path, path.relative_to(ROOT)) for pattern in SITE_SOURCES for path in sorted(ROOT.glob(pattern))]
    pairs += [(path, Path(path.name)) for path in sorted(DOCS.glob("*.md"))]
    return pairs


def stage_sources(target: Path = SOURCE_DIR) -> int:
    """Make `target` (emptied first) hold exactly the site's sources; return how many files it holds."""
    if BUILD not in target.resolve().parents:  # only ever a folder under build/
        raise ValueError(f"{target} is not a folder under {BUILD}; refusing to empty it")
    if target.exists():
        shutil.rmtree(target)
    pairs = site_files()
    for source, relative in pairs:
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target / relative)
    return len(pairs)


def build() -> int:
    """Stage the sources and run Sphinx; Sphinx's exit status (non-zero on any warning)."""
    stage_sources()
    return build_main(["-b", "html", "-W", "--keep-going", "-q", "-c", str(DOCS), "-d", str(DOCTREE_DIR),
                       str(SOURCE_DIR), str(SITE_DIR)])


if __name__ == "__main__":
    status = build()
    print(f"site: {SITE_DIR / 'index.html'}" if status == 0 else "site: the build failed (warnings above)",
          file=sys.stderr if status else sys.stdout)
    sys.exit(status)
