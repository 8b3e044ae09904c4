"""Shared code of tools/stepdiff, tools/notes and tools/assign.

What lives here: finding the repository and its step directories, naming a step ("3", "03",
"step03", "step03_channel", "final"), walking a step's files without build artefacts and editor
files, and the chapter diff between two steps with its diffstat. The diffstat is produced here
only, so the one printed by `stepdiff --stat` and the one embedded by `notes sync` are the same
text.

Standard library only; the diff itself comes from GNU diff (diffutils), one call per changed
file, so the unified diff reads exactly like `diff -ruN`.
"""

import fnmatch
import os
import re
import subprocess
import sys

# Build artefacts and editor files: never part of a chapter, a student tree or a diffstat.
EXCLUDED_DIRS = ("build*", ".git", ".cache", ".vscode", ".idea", "__pycache__")
EXCLUDED_FILES = ("*.o", "*.a", "*.so", "*~", ".*.swp", ".*.swo", "*.pyc", ".DS_Store",
                  "compile_commands.json", "CMakeUserPresets.json")

STEP_DIR_RE = re.compile(r"^step(\d+)_[A-Za-z0-9_]+$")


class UsageError(Exception):
    """A bad command line or an unknown step: the tools exit 2 with this message."""


class ToolError(Exception):
    """A failure that is not a usage error: the tools exit 1 with this message."""


def default_root():
    """The repository root: the parent of tools/ (this file is tools/lib/steptools.py)."""
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def list_steps(root):
    """Step directory names in reading order: stepNN_* sorted, then final."""
    try:
        names = os.listdir(root)
    except OSError as e:
        raise UsageError(f"cannot read repository root {root}: {e.strerror}")
    steps = sorted(n for n in names
                   if STEP_DIR_RE.match(n) and os.path.isdir(os.path.join(root, n)))
    if os.path.isdir(os.path.join(root, "final")):
        steps.append("final")
    return steps


def resolve_step(root, spec):
    """Maps "3", "03", "step03", "step03_channel", "step03_channel/" or "final" to a step name."""
    steps = list_steps(root)
    name = spec.rstrip("/")
    name = os.path.basename(name) if os.sep in name else name
    if name in steps:
        return name
    m = re.fullmatch(r"(?:step)?(\d+)", name)
    if m:
        number = int(m.group(1))
        hits = [s for s in steps if s != "final" and int(STEP_DIR_RE.match(s).group(1)) == number]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise UsageError(f"step '{spec}' is ambiguous: {', '.join(hits)}")
    known = ", ".join(steps) if steps else "none"
    raise UsageError(f"no step directory '{spec}' in {root} (steps: {known})")


def previous_step(root, step):
    """The step before `step` in reading order."""
    steps = list_steps(root)
    i = steps.index(step)
    if i == 0:
        raise UsageError(f"{step} is the first step: there is nothing to diff it against")
    return steps[i - 1]


def step_number(step):
    """"step03_channel" -> "03"; "final" -> "final" (names notes/assignments/<this>.md)."""
    m = re.match(r"^step(\d+)_", step)
    return m.group(1) if m else step


def is_excluded(name, is_dir):
    patterns = EXCLUDED_DIRS if is_dir else EXCLUDED_FILES
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


def walk_files(top):
    """Relative paths ('/'-separated, sorted) of the files under `top`, minus excluded ones."""
    result = []
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames[:] = sorted(d for d in dirnames if not is_excluded(d, True))
        for f in filenames:
            if not is_excluded(f, False):
                rel = os.path.relpath(os.path.join(dirpath, f), top)
                result.append(rel.replace(os.sep, "/"))
    return sorted(result)


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def _is_binary(data):
    return b"\0" in data[:8192]


class FileDiff:
    """One changed file of a chapter diff."""

    def __init__(self, path, status, lines, added, removed, binary=False):
        self.path = path          # relative to the step directories
        self.status = status      # "new", "gone" or "changed"
        self.lines = lines        # the unified diff text of this file, as lines
        self.added = added
        self.removed = removed
        self.binary = binary


def diff_steps(root, a, b):
    """The chapter diff from step `a` to step `b` (directory names): a list of FileDiff."""
    dir_a, dir_b = os.path.join(root, a), os.path.join(root, b)
    files_a, files_b = set(walk_files(dir_a)), set(walk_files(dir_b))
    diffs = []
    for rel in sorted(files_a | files_b):
        pa = os.path.join(dir_a, rel) if rel in files_a else None
        pb = os.path.join(dir_b, rel) if rel in files_b else None
        data_a = _read(pa) if pa else b""
        data_b = _read(pb) if pb else b""
        if pa and pb and data_a == data_b:
            continue
        status = "new" if pa is None else "gone" if pb is None else "changed"
        label_a = f"{a}/{rel}" if pa else "/dev/null"
        label_b = f"{b}/{rel}" if pb else "/dev/null"
        header = f"diff -uN {a}/{rel} {b}/{rel}"
        if _is_binary(data_a) or _is_binary(data_b):
            lines = [header, f"Binary files {label_a} and {label_b} differ"]
            diffs.append(FileDiff(rel, status, lines, 0, 0, binary=True))
            continue
        proc = subprocess.run(
            ["diff", "-u", "--label", label_a, "--label", label_b,
             pa or os.devnull, pb or os.devnull],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if proc.returncode not in (0, 1):
            raise ToolError(f"diff failed on {rel}: {proc.stderr.decode(errors='replace')}")
        body = proc.stdout.decode("utf-8", errors="replace").splitlines()
        added = removed = 0
        for line in body[2:]:  # skip the ---/+++ header
            if line.startswith("+"):
                added += 1
            elif line.startswith("-"):
                removed += 1
        diffs.append(FileDiff(rel, status, [header] + body, added, removed))
    return diffs


BAR_WIDTH = 50  # columns of +/- for the largest change; fixed so the text is stable everywhere


def _scale(n, max_change):
    # git's scale_linear: a non-zero count always gets at least one column.
    if n == 0 or max_change <= BAR_WIDTH:
        return n
    return 1 + (n * (BAR_WIDTH - 1)) // max_change


def format_diffstat(diffs):
    """A diffstat in the format of `git diff --stat --compact-summary` (fixed bar width).

    Returns the lines, without trailing newlines; the last line is the summary.
    """
    if not diffs:
        return [" 0 files changed"]
    names = []
    for d in diffs:
        suffix = " (new)" if d.status == "new" else " (gone)" if d.status == "gone" else ""
        names.append(d.path + suffix)
    name_w = max(len(n) for n in names)
    max_change = max(d.added + d.removed for d in diffs)
    count_w = len(str(max_change))
    lines = []
    for d, name in zip(diffs, names):
        if d.binary:
            lines.append(f" {name.ljust(name_w)} | Bin")
            continue
        bar = "+" * _scale(d.added, max_change) + "-" * _scale(d.removed, max_change)
        count = str(d.added + d.removed).rjust(count_w)
        lines.append(f" {name.ljust(name_w)} | {count} {bar}".rstrip())
    added = sum(d.added for d in diffs)
    removed = sum(d.removed for d in diffs)
    summary = f" {len(diffs)} file{'s' if len(diffs) != 1 else ''} changed"
    if added or not removed:
        summary += f", {added} insertion{'s' if added != 1 else ''}(+)"
    if removed or not added:
        summary += f", {removed} deletion{'s' if removed != 1 else ''}(-)"
    lines.append(summary)
    return lines


def diffstat(root, a, b):
    """The diffstat text of step `b` against step `a`, as lines."""
    return format_diffstat(diff_steps(root, a, b))


def die_usage(prog, message):
    print(f"{prog}: {message}", file=sys.stderr)
    print(f"Try '{prog} --help'.", file=sys.stderr)
    sys.exit(2)
