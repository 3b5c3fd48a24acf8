# SPDX-License-Identifier: GPL-2.0
# Sphinx configuration of iodma's documentation: build it with `make docs`
# (scripts/docs.sh), which provides the kernel's kernel-doc script and
# turns every warning into an error.
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "sphinx"))

iodma_top = os.path.dirname(here)
with open(os.path.join(iodma_top, "VERSION"), encoding="utf-8") as f:
    release = version = f.read().strip()

project = "iodma"
copyright = "the iodma authors; GPL-2.0"
extensions = ["iodma_kdoc"]

primary_domain = "c"
highlight_language = "none"
exclude_patterns = ["sphinx"]
# Every reference must resolve, except those to the kernel's own types and
# functions (struct device, u64, dma_get_max_seg_size(), ...), which this
# documentation does not describe: a mention of an iodma name that the
# reference lacks is an error.
nitpicky = True
nitpick_ignore_regex = [(r"c:.*", r"(?!iodma_).*")]

html_theme = "alabaster"
html_theme_options = {
    "page_width": "1180px",
    "sidebar_width": "230px",
    "fixed_sidebar": True,
    "show_relbars": True,
}
html_static_path = ["sphinx/static"]
html_css_files = ["iodma.css"]
html_title = f"iodma {release}"
html_show_sourcelink = False
html_copy_source = False
