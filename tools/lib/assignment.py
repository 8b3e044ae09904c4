"""Assignment regions (STUDENT markers) and the student version of a step.

The marker convention, in reference code:

    // STUDENT-BEGIN(poller-update): register, modify or remove the fd according to its index
    // STUDENT-STUB: return false;
    ...reference code...
    // STUDENT-END(poller-update)

The student version replaces BEGIN..END (inclusive) by `// TODO(student: <id>): <hint>` and the
code of the STUDENT-STUB lines, at the indentation of the BEGIN line. `#` works as comment
leader too (CMake, shell). Regions do not nest; ids are unique within a step.
"""

import os
import re

import steptools

MARK_RE = re.compile(r"STUDENT-(BEGIN|END|STUB)")
ID = r"[A-Za-z0-9][A-Za-z0-9_.:-]*"
BEGIN_RE = re.compile(r"^(?P<indent>[ \t]*)(?P<lead>//|#)[ \t]*STUDENT-BEGIN\((?P<id>" + ID +
                      r")\)(?::[ \t]*(?P<hint>.*?))?[ \t]*$")
END_RE = re.compile(r"^[ \t]*(//|#)[ \t]*STUDENT-END\((?P<id>" + ID + r")\)[ \t]*$")
STUB_RE = re.compile(r"^[ \t]*(//|#)[ \t]*STUDENT-STUB:(?P<code>.*)$")


class Region:
    """One assignment region of a step."""

    def __init__(self, path, begin, indent, lead, rid, hint):
        self.path = path      # relative to the step directory
        self.begin = begin    # 1-based line of STUDENT-BEGIN
        self.end = None       # 1-based line of STUDENT-END
        self.indent = indent
        self.lead = lead      # "//" or "#"
        self.id = rid
        self.hint = hint or ""
        self.stubs = []       # code of the STUDENT-STUB lines, prefix stripped

    def todo_line(self):
        hint = f": {self.hint}" if self.hint else ""
        return f"{self.indent}{self.lead} TODO(student: {self.id}){hint}"


class MarkerError:
    def __init__(self, path, line, message):
        self.path, self.line, self.message = path, line, message

    def format(self, prefix):
        return f"{prefix}/{self.path}:{self.line}: error: {self.message}"


def decode(data):
    """Text of a file, or None for a binary file (left alone)."""
    if b"\0" in data[:8192]:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def scan_text(path, text, regions, errors):
    """Collects the regions of one file into `regions`, problems into `errors`."""
    current = None
    for n, line in enumerate(text.splitlines(), 1):
        m = MARK_RE.search(line)
        if not m:
            continue
        kind = m.group(1)
        if kind == "BEGIN":
            b = BEGIN_RE.match(line)
            if not b:
                errors.append(MarkerError(path, n, "malformed STUDENT-BEGIN: write "
                                          "`// STUDENT-BEGIN(id): hint` alone on its line"))
            elif current:
                errors.append(MarkerError(
                    path, n, f"STUDENT-BEGIN({b.group('id')}) inside region "
                             f"'{current.id}' opened at line {current.begin}: regions do not nest"))
            else:
                current = Region(path, n, b.group("indent"), b.group("lead"), b.group("id"),
                                 b.group("hint"))
        elif kind == "END":
            e = END_RE.match(line)
            if not e:
                errors.append(MarkerError(path, n, "malformed STUDENT-END: write "
                                          "`// STUDENT-END(id)` alone on its line"))
            elif not current:
                errors.append(MarkerError(path, n,
                                          f"STUDENT-END({e.group('id')}) without a STUDENT-BEGIN"))
            elif e.group("id") != current.id:
                errors.append(MarkerError(
                    path, n, f"STUDENT-END({e.group('id')}) does not match "
                             f"STUDENT-BEGIN({current.id}) at line {current.begin}"))
                current = None
            else:
                current.end = n
                regions.append(current)
                current = None
        else:
            s = STUB_RE.match(line)
            if not s:
                errors.append(MarkerError(path, n, "malformed STUDENT-STUB: write "
                                          "`// STUDENT-STUB: code` alone on its line"))
            elif not current:
                errors.append(MarkerError(path, n, "STUDENT-STUB outside a STUDENT region"))
            else:
                code = s.group("code")
                current.stubs.append((code[1:] if code.startswith(" ") else code).rstrip())
    if current:
        errors.append(MarkerError(path, current.begin,
                                  f"STUDENT-BEGIN({current.id}) has no STUDENT-END({current.id})"))


def scan_files(files, step):
    """Regions and errors (sorted by place) of step `step`, given as {relative path: bytes}."""
    regions, errors = [], []
    for path in sorted(files):
        text = decode(files[path])
        if text is not None and "STUDENT-" in text:
            scan_text(path, text, regions, errors)
    seen = {}
    for r in regions:
        if r.id in seen:
            first = seen[r.id]
            errors.append(MarkerError(r.path, r.begin, f"region id '{r.id}' is already used at "
                                                       f"{step}/{first.path}:{first.begin}"))
        else:
            seen[r.id] = r
    errors.sort(key=lambda e: (e.path, e.line))
    return regions, errors


def read_tree(top):
    """{relative path: bytes} of a directory, without build artefacts and editor files."""
    files = {}
    for rel in steptools.walk_files(top):
        with open(os.path.join(top, rel), "rb") as f:
            files[rel] = f.read()
    return files


def executables(top, files):
    """The paths of `files` that are executable under `top` (scripts keep their mode)."""
    return {rel for rel in files if os.access(os.path.join(top, rel), os.X_OK)}


def transform_text(text, regions, stubbed):
    """The student version of one file. Regions with ids in `stubbed` become TODO + stub;
    the others keep their reference code and lose only their marker lines."""
    lines = text.splitlines()
    out = []
    by_begin = {r.begin: r for r in regions}
    n = 0
    while n < len(lines):
        r = by_begin.get(n + 1)
        if r is None:
            out.append(lines[n])
            n += 1
            continue
        if r.id in stubbed:
            out.append(r.todo_line())
            out.extend(r.indent + code if code else "" for code in r.stubs)
        else:
            out.extend(l for l in lines[r.begin:r.end - 1] if not MARK_RE.search(l))
        n = r.end
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


def student_files(files, regions, stubbed=None):
    """The student version of a tree ({path: bytes}); `stubbed` = ids to stub (None: all)."""
    if stubbed is None:
        stubbed = {r.id for r in regions}
    out = dict(files)
    for path in {r.path for r in regions}:
        own = [r for r in regions if r.path == path]
        out[path] = transform_text(files[path].decode("utf-8"), own, stubbed).encode("utf-8")
    return out


def write_tree(dst, files, executable=(), prune=True):
    """Makes directory `dst` hold `files`, rewriting only files whose content changed; with
    `prune`, other files under `dst` are deleted (use it only on directories the tools own).

    Unchanged files keep their modification time, so a build directory configured on `dst`
    rebuilds only what changed (the student version differs from the reference in a few files).
    """
    existing = set()
    if os.path.isdir(dst):
        for dirpath, _, filenames in os.walk(dst):
            for f in filenames:
                existing.add(os.path.relpath(os.path.join(dirpath, f), dst).replace(os.sep, "/"))
    if prune:
        for rel in sorted(existing - set(files)):
            os.remove(os.path.join(dst, rel))
    for rel, data in files.items():
        path = os.path.join(dst, rel)
        if rel in existing:
            with open(path, "rb") as f:
                if f.read() == data:
                    continue
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    for rel in files:
        path = os.path.join(dst, rel)
        mode = os.stat(path).st_mode
        want = mode | 0o111 if rel in executable else mode & ~0o111
        if want != mode:
            os.chmod(path, want)
    if prune:
        for dirpath, _, _ in os.walk(dst, topdown=False):
            if dirpath != dst and not os.listdir(dirpath):
                os.rmdir(dirpath)
