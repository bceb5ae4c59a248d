"""Sphinx configuration of the tutorial site (`make site` builds it into build/site/).

The site shows the notebooks with the outputs stored in them (never re-executed), the README and the
data codebooks. Sphinx reads them from build/site-src/, where docs/build_site.py copies them in the
repository's layout (so the README's relative links resolve); this folder holds the configuration and
the pages written for the site. Everything a page loads is copied into the site (theme, MathJax):
it works offline.
"""

from pathlib import Path

import mathjax  # the django-static-mathjax distribution: a copy of MathJax 3 on PyPI (Django is not needed)

project = "paradox"
author = "paradox developers"
copyright = "paradox developers, MIT licence"

extensions = ["myst_nb"]
root_doc = "index"
source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb"}

# The notebooks' stored outputs are the published ones (`make reproduce` writes them in full mode).
nb_execution_mode = "off"
nb_merge_streams = True

myst_enable_extensions = ["dollarmath", "amsmath"]
# README headings become anchors (`README.html#runtime`), as on a repository page.
myst_heading_anchors = 3

html_theme = "sphinx_book_theme"
html_title = "paradox: Bayesian tests of the service recovery paradox"
html_theme_options = {
    "show_toc_level": 2,
    "home_page_in_toc": True,
    "use_download_button": False,
    "use_fullscreen_button": False,
    "use_repository_button": False,
    "navigation_with_keys": False,
}
# Light, whatever the reader's system prefers: the notebooks' figures are drawn on white. (Left empty, the
# theme also logs a console error on a first visit.)
html_context = {"default_mode": "light"}
html_show_sourcelink = False
html_favicon = "_static/favicon.svg"  # without one, every browser asks for /favicon.ico and gets a 404
html_copy_source = False  # the notebooks are in the repository; no second copy in the site

# MathJax from the site itself, not from a CDN. tex-svg-full.js carries every TeX extension and draws
# with SVG paths, so it loads no further file (no fonts, no extensions fetched on demand).
MATHJAX_FILE = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5" / "tex-svg-full.js"
html_static_path = [str(MATHJAX_FILE)]
mathjax_path = MATHJAX_FILE.name
# Without `noundefined`, a misspelt macro is a TeX error (which tests/test_site.py finds), not red text.
mathjax3_config = {"tex": {"packages": {"[-]": ["noundefined"]}}}
