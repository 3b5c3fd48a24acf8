#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Usage: docs-check.py TOP HTMLDIR

Judge the rendered documentation (scripts/docs.sh) against the tree TOP.
Prints one "PASS docs: ..." or "FAIL docs: ...: why" line per check, with
a line per problem before it, and exits 1 if any check fails:

- every function src/shim/*.c exports (EXPORT_SYMBOL*) has its entry in
  the API reference (reference.html, anchor c.<name>);
- every type with a kernel-doc comment in include/linux/iodma.h has one;
- the porting table is in the guide (api.html) and links each iodma
  function it names to the reference;
- on every page, each mention of an iodma function, iodma_x() in text or
  iodma_x(...) as code, is a link to its reference entry (the core's and
  the platform seam's functions, iodma_core_* and iodma_plat_*, excepted:
  they are internal);
- no page has an empty list item: what reStructuredText makes of a lone
  "-" meant as "nothing" in a table cell, which Sphinx does not warn about.
"""

import glob
import html.parser
import os
import re
import sys

EXPORT = re.compile(r"^EXPORT_SYMBOL\w*\(\s*(\w+)\s*[,)]", re.M)
KDOC_TYPE = re.compile(r"^/\*\*\n \* (?:struct|enum|union|typedef) (\w+) -", re.M)
CALL_CODE = re.compile(r"^(iodma_\w+)\(")
CALL_TEXT = re.compile(r"\b(iodma_\w+)\(\)")
INTERNAL = re.compile(r"iodma_(core|plat)_")


class Page(html.parser.HTMLParser):
    """The ids of a page, and each iodma mention with the link around it."""

    # Where a mention is not a use: code blocks, signatures, headings.
    QUIET = {"pre", "dt", "h1", "h2", "h3", "h4", "h5", "h6", "title",
             "script", "style"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids = set()
        self.mentions = []  # (name, href or None, section id)
        self.stack = []     # (tag, attrs)
        self.code = None    # text of the <code> being read
        self.section = ""
        self.items = []     # text length of each open <li>
        self.empty_items = 0

    def _href(self):
        for tag, attrs in reversed(self.stack):
            if tag == "a":
                return attrs.get("href") or ""
        return None

    def _quiet(self):
        return any(tag in self.QUIET for tag, _ in self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
            if tag == "section":
                self.section = attrs["id"]
        if tag in ("br", "img", "meta", "link", "input", "hr"):
            return
        self.stack.append((tag, attrs))
        if tag == "code":
            self.code = ""
        elif tag == "li":
            self.items.append(0)

    def handle_endtag(self, tag):
        if tag == "li" and self.items:
            if self.items.pop() == 0:
                self.empty_items += 1
        if tag == "code" and self.code is not None:
            m = CALL_CODE.match(self.code.strip())
            if m and not self._quiet():
                self.mentions.append((m.group(1), self._href(), self.section))
            self.code = None
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        if data.strip():
            self.items = [n + 1 for n in self.items]
        if self.code is not None:
            self.code += data
            return
        if self._quiet():
            return
        for m in CALL_TEXT.finditer(data):
            self.mentions.append((m.group(1), self._href(), self.section))


def parse(path):
    page = Page()
    with open(path, encoding="utf-8") as f:
        page.feed(f.read())
    return page


def main():
    top, htmldir = sys.argv[1], sys.argv[2]
    results = []

    def check(name, problems):
        for p in problems:
            print(f"  {p}")
        if problems:
            print(f"FAIL docs: {name}: {len(problems)} problem(s) above")
        else:
            print(f"PASS docs: {name}")
        results.append(not problems)

    ref_path = os.path.join(htmldir, "reference.html")
    ref = parse(ref_path) if os.path.isfile(ref_path) else None

    exported = []
    for path in sorted(glob.glob(os.path.join(top, "src/shim/*.c"))):
        with open(path, encoding="utf-8") as f:
            for sym in EXPORT.findall(f.read()):
                exported.append((os.path.relpath(path, top), sym))
    def in_reference(what, names, empty):
        """Check that every (source, name) pair has its reference entry."""
        if ref is None:
            problems = ["no reference.html"]
        elif not names:
            problems = [empty]
        else:
            problems = [f"{name} ({path}): {what} but not in the API "
                        "reference (Documentation/reference.rst)"
                        for path, name in names if f"c.{name}" not in ref.ids]
        return problems

    check(f"every exported function in the reference ({len(exported)})",
          in_reference("exported", exported,
                       "no exported function found in src/shim/*.c"))

    header = "include/linux/iodma.h"
    with open(os.path.join(top, header), encoding="utf-8") as f:
        types = [(header, t) for t in KDOC_TYPE.findall(f.read())]
    check(f"every documented type in the reference ({len(types)})",
          in_reference("documented", types,
                       f"no kernel-doc type found in {header}"))

    problems = []
    api_path = os.path.join(htmldir, "api.html")
    api = parse(api_path) if os.path.isfile(api_path) else None
    if api is None or "porting-from-iokit" not in api.ids:
        problems.append("api.html has no section 'Porting from IOKit'")
    else:
        porting = [(n, h) for n, h, s in api.mentions
                   if s == "porting-from-iokit" and not INTERNAL.match(n)]
        if not porting:
            problems.append("the porting table names no iodma function")
        problems += [f"porting table: {n} does not link to reference.html#c.{n}"
                     for n, h in porting
                     if not (h or "").endswith(f"reference.html#c.{n}")
                     and h != f"#c.{n}"]
    check("porting table links into the reference", problems)

    problems = []
    pages = sorted(glob.glob(os.path.join(htmldir, "*.html")))
    for path in pages:
        base = os.path.basename(path)
        if base in ("genindex.html", "search.html"):
            continue
        for name, href, _ in parse(path).mentions:
            if INTERNAL.match(name):
                continue
            want = (f"#c.{name}" if base == "reference.html"
                    else f"reference.html#c.{name}")
            if href is None:
                problems.append(f"{base}: {name}() is not a link")
            elif not href.endswith(want):
                problems.append(f"{base}: {name}() links to '{href}', "
                                f"not {want}")
    if not pages:
        problems.append(f"no page in {htmldir}")
    check("every mention of an iodma function links to its entry", problems)

    problems = []
    for path in pages:
        n = parse(path).empty_items
        if n:
            problems.append(f"{os.path.basename(path)}: {n} empty list "
                            "item(s) (a lone '-' in a table cell?)")
    if not pages:
        problems.append(f"no page in {htmldir}")
    check("no empty list item", problems)

    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
