#!/usr/bin/env python3
"""Doxygen input filter for the Markdown pages (notes/*.md, README.md).

Usage (from docs/Doxyfile, FILTER_PATTERNS): python3 docs/md-filter.py FILE > filtered

The chapters draw their diagrams as ```mermaid fenced blocks, which Git forges render and Doxygen
would show as a code listing. This filter turns each such block into raw HTML,

    \\htmlonly[block]<pre class="mermaid">  ...the diagram, HTML-escaped...  </pre>\\endhtmlonly

and, on a page that has diagrams, appends the two <script> tags that draw them: mermaid.min.js
(copied next to the pages by docs/fetch-mermaid.sh) and docs/mermaid-init.js (which leaves a note
under the source text when mermaid.min.js is missing). Mermaid reads the block's text content, so
the escaping is undone by the browser before Mermaid sees it.

Relative links are fitted to the HTML docs, where only the pages exist (see link_target()): a
link to another page stays, a link to a source file or directory becomes its text. In the text,
what Doxygen would take for one of its commands (\\n, @param, #word) is escaped: the notes are
plain Markdown, written for a Git forge.

Code blocks and code spans pass through unchanged, and the filtered file keeps its line count, so
the line numbers in Doxygen's warnings are those of the file in the repository. Standard library
only.
"""

import html
import os
import re
import sys

# An opening or closing code fence (CommonMark 4.5): 3+ backticks or tildes, then an info string.
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")

# The parts of a line of prose that are not plain text: a code span, an inline link
# `[text](target "title")`, an image, a URL (autolink or bare), an HTML tag or comment.
TOKEN = re.compile(
    r"(?P<code>(?P<ticks>`+).*?(?P=ticks))"
    r"|(?<!!)\[(?P<text>[^\]]*)\]\(\s*(?P<target>[^)\s]+)(?:\s+\"[^\"]*\")?\s*\)"
    r"|(?P<image>!\[[^\]]*\]\([^)]*\))"
    r"|(?P<url><[A-Za-z][A-Za-z0-9+.-]*:[^>\s]*>|\b(?:https?|ftp)://[^\s<>()]+)"
    r"|(?P<html><[^>]*>)"
)
# What Doxygen would read as one of its commands in plain Markdown text: \word or @word (an
# unknown command is a warning; a known one, like \n, silently changes the text) and #word
# (a link request). A backslash before punctuation is a Markdown escape and stays.
DOXYGEN_SPECIAL = re.compile(r"\\(?=[A-Za-z0-9])|@(?=\w)|(?<![\w&#{])#(?=[A-Za-z_])")
URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
TITLE = re.compile(r"^# \S")

SCRIPTS = (
    '\\htmlonly[block]<script src="mermaid.min.js"></script>'
    '<script src="mermaid-init.js"></script>\\endhtmlonly'
)


def is_mermaid(info):
    """True for the info strings `mermaid` and `{.mermaid}` (any case, any trailing words)."""
    words = info.strip().split()
    return bool(words) and words[0].strip("{}.").lower() == "mermaid"


def closes(line, fence):
    """True when `line` closes a block opened with `fence` (same character, at least as long)."""
    m = FENCE.match(line)
    return bool(
        m
        and m.group("fence")[0] == fence[0]
        and len(m.group("fence")) >= len(fence)
        and not m.group("info").strip()
    )


def doc_pages():
    """The Markdown files that are pages of these docs, as absolute paths: the main page and the
    notes directory's *.md, named by the same environment variables as in docs/Doxyfile (unset,
    as when the filter is tried by hand from the repository root: README.md and notes)."""
    pages = set()
    mainpage = os.environ.get("NET_DOCS_MAINPAGE", "README.md")
    if mainpage:
        pages.add(os.path.abspath(mainpage))
    notes = os.environ.get("NET_DOCS_NOTES", "notes")
    if notes and os.path.isdir(notes):
        pages.update(os.path.abspath(os.path.join(notes, name))
                     for name in os.listdir(notes) if name.endswith(".md"))
    return pages


def escape(text):
    """Makes Doxygen show `text` as it is: \\word, @word and #word get a backslash."""
    return DOXYGEN_SPECIAL.sub(lambda m: "\\" + m.group(0), text)


def link_target(target, here, pages):
    """The target to keep for a relative link, or None to drop the link and keep its text.

    On a Git forge a relative link opens the file in the repository. In the HTML docs only the
    pages exist: a link to another page stays (Doxygen turns `x.md` into a link to that page;
    a `#heading` anchor is dropped, as Doxygen names its anchors differently), and a link to
    anything else (a source file, a Markdown file that is not a page, a chapter not written
    yet) becomes its plain text instead of a broken link or a Doxygen warning. A directory
    stands for its README.md, as on a forge.
    """
    if URL_SCHEME.match(target) or target.startswith("#"):
        return target
    path = target.split("#", 1)[0]
    if path.startswith("/"):  # a forge reads /x from the repository root: here, the cwd
        resolved = os.path.abspath(path.lstrip("/"))
    else:
        resolved = os.path.abspath(os.path.join(here, path))
    if os.path.isdir(resolved):  # a forge shows a directory's README.md
        resolved = os.path.join(resolved, "README.md")
    return os.path.relpath(resolved, here) if resolved in pages else None


def prose(line, here, pages):
    """Filters one line of text outside code blocks: code spans, URLs and HTML stay as they are,
    links are fitted to the HTML docs (link_target), the rest is escaped (escape)."""
    out = []
    pos = 0
    for m in TOKEN.finditer(line):
        out.append(escape(line[pos : m.start()]))
        pos = m.end()
        if m.group("target") is None:
            out.append(m.group(0))
            continue
        text = prose(m.group("text"), here, pages)
        target = link_target(m.group("target"), here, pages)
        out.append(text if target is None else "[%s](%s)" % (text, target))
    out.append(escape(line[pos:]))
    return "".join(out)


def hoist_title(lines):
    """Doxygen titles a page with its first line when that is a `# Title` heading, else with the
    file name. A chapter that opens with an HTML comment (say, a note for its authors) keeps its
    title by moving the heading above the comment; only those lines move."""
    in_comment = False
    for i, line in enumerate(lines):
        stripped = line.strip()
        if in_comment:
            in_comment = "-->" not in stripped
            continue
        if stripped.startswith("<!--"):
            in_comment = "-->" not in stripped[4:]
            continue
        if not stripped:
            continue
        if TITLE.match(line) and i > 0:
            lines.insert(0, lines.pop(i))
        return


def convert(lines, here=".", pages=frozenset()):
    """Returns the filtered lines and whether a diagram was found. `here` is the directory of
    the file (relative links start there); `pages` the absolute paths of the doc pages."""
    out = []
    fence = None  # the fence of the code block we are in, if any
    in_mermaid = False
    found = False
    for line in lines:
        if fence is None:
            m = FENCE.match(line)
            # A backtick fence's info string may not contain backticks (it would be inline code).
            if m and not (m.group("fence")[0] == "`" and "`" in m.group("info")):
                fence = m.group("fence")
                in_mermaid = is_mermaid(m.group("info"))
                if in_mermaid:
                    found = True
                    out.append(m.group("indent") + '\\htmlonly[block]<pre class="mermaid">')
                    continue
                out.append(line)
            else:
                out.append(prose(line, here, pages))
        elif closes(line, fence):
            indent = line[: len(line) - len(line.lstrip())]
            out.append(indent + "</pre>\\endhtmlonly" if in_mermaid else line)
            fence, in_mermaid = None, False
        else:
            out.append(html.escape(line, quote=False) if in_mermaid else line)
    if in_mermaid:  # an unclosed fence runs to the end of the document
        out.append("</pre>\\endhtmlonly")
    return out, found


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: md-filter.py FILE")
    with open(sys.argv[1], encoding="utf-8") as f:
        lines = f.read().split("\n")
    hoist_title(lines)
    here = os.path.dirname(os.path.abspath(sys.argv[1]))
    out, found = convert(lines, here, doc_pages())
    if found:
        out += ["", SCRIPTS, ""]
    sys.stdout.buffer.write("\n".join(out).encode("utf-8"))


if __name__ == "__main__":
    main()
