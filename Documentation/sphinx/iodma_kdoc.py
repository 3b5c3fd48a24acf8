# SPDX-License-Identifier: GPL-2.0
"""Sphinx extension: iodma's API reference from its kernel-doc comments.

The ``kernel-doc`` directive runs the kernel's ``scripts/kernel-doc`` (the
perl script from Debian's linux-source package; its path comes from the
``IODMA_KERNEL_DOC`` environment variable) on one file of the tree and
parses the reStructuredText it prints in place::

    .. kernel-doc:: src/shim/cmd.c
       :export:

``:export:`` documents the functions the file exports with
``EXPORT_SYMBOL*``, ``:internal:`` the others; with neither, every
kernel-doc comment of the file. The path is relative to the top of the
tree. Every line kernel-doc writes to stderr (a broken comment, a
parameter not described, a missing ``Return:``) becomes a Sphinx warning,
and so does a directive that documents nothing: with ``sphinx-build -W``
a broken comment fails the build.

The ``IodmaLinks`` transform turns every mention of an iodma function,
``iodma_cmd_prepare()`` in text or ``iodma_cmd_prepare(cmd, ...)`` as a
literal, into a cross-reference to its entry in the reference. With
``nitpicky`` on, a name that has no entry is a warning: the guide and the
porting table cannot name a function that does not exist. Internal
names (``iodma_link_internal``, a regular expression: the core's and the
platform seam's functions, which the design notes mention) are left alone.
"""

import os
import re
import subprocess

import sphinx
from docutils import nodes
from docutils.parsers.rst import Directive, directives
from docutils.statemachine import StringList
from sphinx import addnodes
from sphinx.transforms import SphinxTransform
from sphinx.util import logging
from sphinx.util.nodes import nested_parse_with_titles

logger = logging.getLogger(__name__)

LINENO = re.compile(r"^\.\. LINENO (\d+)$")
# iodma_name() in running text.
TEXT_CALL = re.compile(r"\b(iodma_\w+)\(\)")
# ``iodma_name()`` or ``iodma_name(arguments)`` as a whole literal.
LITERAL_CALL = re.compile(r"^(iodma_\w+)\([^()]*\)$")


class KernelDoc(Directive):
    """Run kernel-doc on one file of the tree and parse its output."""

    required_arguments = 1
    has_content = False
    option_spec = {
        "export": directives.flag,
        "internal": directives.flag,
    }

    def run(self):
        env = self.state.document.settings.env
        config = env.config
        rel = self.arguments[0]
        path = os.path.join(config.iodma_top, rel)
        where = (env.docname, self.lineno)

        script = os.environ.get("IODMA_KERNEL_DOC", "")
        if not os.path.isfile(script):
            logger.warning("kernel-doc: IODMA_KERNEL_DOC does not name the "
                           "kernel's scripts/kernel-doc (got '%s'); "
                           "build with scripts/docs.sh", script,
                           location=where)
            return []
        if not os.path.isfile(path):
            logger.warning("kernel-doc: no file %s", rel, location=where)
            return []
        if "export" in self.options and "internal" in self.options:
            logger.warning("kernel-doc: :export: and :internal: exclude "
                           "each other", location=where)
            return []
        env.note_dependency(os.path.abspath(path))

        cmd = ["perl", script, "-rst", "-enable-lineno", "-Wall",
               "-sphinx-version", sphinx.__version__]
        if "export" in self.options:
            cmd.append("-export")
        elif "internal" in self.options:
            cmd.append("-internal")
        # Relative paths in kernel-doc's own messages, as in the tree.
        res = subprocess.run(cmd + [rel], cwd=config.iodma_top,
                             capture_output=True, text=True, check=False)
        for line in res.stderr.splitlines():
            if line.strip():
                logger.warning("kernel-doc: %s", line.strip(),
                               location=where)
        if res.returncode != 0:
            logger.warning("kernel-doc: exit status %d on %s",
                           res.returncode, rel, location=where)
            return []
        if not res.stdout.strip():
            logger.warning("kernel-doc: nothing documented in %s%s", rel,
                           " (no exported function)"
                           if "export" in self.options else "",
                           location=where)
            return []

        # Keep kernel-doc's line numbers, so that a parse error points at
        # the comment in the source file.
        lines = StringList()
        lineno = 0
        for line in res.stdout.splitlines():
            m = LINENO.match(line)
            if m:
                lineno = int(m.group(1)) - 1
                continue
            lines.append(line, path, lineno)

        node = nodes.section()
        node.document = self.state.document
        nested_parse_with_titles(self.state, lines, node)
        return node.children


def _xref(env, name, child):
    ref = addnodes.pending_xref("", refdomain="c", reftype="func",
                                reftarget=name, refexplicit=True,
                                refwarn=True, refdoc=env.docname)
    ref += child
    return ref


class IodmaLinks(SphinxTransform):
    """Link each mention of an iodma function to its reference entry."""

    default_priority = 500
    # Inside these, a mention stays as written: code, existing links, and
    # the signature of the entry itself.
    skip = (nodes.literal_block, nodes.reference, nodes.title,
            addnodes.pending_xref, addnodes.desc_signature)

    def _skipped(self, node):
        parent = node.parent
        while parent is not None:
            if isinstance(parent, self.skip):
                return True
            parent = parent.parent
        return False

    def apply(self, **kwargs):
        env = self.env
        internal = re.compile(self.config.iodma_link_internal)
        for lit in list(self.document.findall(nodes.literal)):
            m = LITERAL_CALL.match(lit.astext())
            if not m or internal.match(m.group(1)) or self._skipped(lit):
                continue
            new = nodes.literal(lit.rawsource, "", *lit.children,
                                **lit.attributes)
            lit.replace_self(_xref(env, m.group(1), new))

        for text in list(self.document.findall(nodes.Text)):
            parent = text.parent
            if parent is None or isinstance(parent, nodes.literal):
                continue
            s = str(text)
            calls = [m for m in TEXT_CALL.finditer(s)
                     if not internal.match(m.group(1))]
            if not calls or self._skipped(text):
                continue
            parts = []
            pos = 0
            for m in calls:
                if m.start() > pos:
                    parts.append(nodes.Text(s[pos:m.start()]))
                parts.append(_xref(env, m.group(1),
                                   nodes.Text(m.group(0))))
                pos = m.end()
            if pos < len(s):
                parts.append(nodes.Text(s[pos:]))
            idx = parent.index(text)
            parent.remove(text)
            for i, part in enumerate(parts):
                parent.insert(idx + i, part)


def setup(app):
    app.add_config_value("iodma_top", "..", "env")
    app.add_config_value("iodma_link_internal", r"iodma_(core|plat)_", "env")
    app.add_directive("kernel-doc", KernelDoc)
    app.add_transform(IodmaLinks)
    return {"version": "1", "parallel_read_safe": True,
            "parallel_write_safe": True}
