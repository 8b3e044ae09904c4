#!/bin/sh
# fetch-mermaid.sh DEST_DIR: puts a local copy of mermaid.min.js (and its MIT licence) into
# DEST_DIR, the HTML output, so the diagrams of the notes are drawn without the pages ever
# loading a script from the web.
#
# The copy comes from the npm registry through npm itself (`npm pack`, which also uses npm's
# cache, so a second build works offline): a pinned version whose tarball is checked against the
# pinned sha512 below. Without npm, or when the download fails, it says so and exits 0: the docs
# still build, and each diagram shows as its source text with a note (docs/mermaid-init.js).
# A tarball that does not match the pin is refused (exit 1).
#
# To move to another version: npm view mermaid@X.Y.Z dist.integrity, and update both lines.
set -u
version=12.3.0
integrity=sha512-4113TdXeLAsMruJ79OpFL5O8+LTFXhQqZ260rF3tgUmiNAtRm4Uume04I+65PRN6yZ69J4f8rVYWW8zRk65UYw==

dest=${1:?usage: fetch-mermaid.sh DEST_DIR}
stamp="$dest/mermaid.min.js.version"
if [ -f "$dest/mermaid.min.js" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$version" ]; then
  exit 0
fi

skip() {
  echo "fetch-mermaid.sh: $*; the diagrams will show as their Mermaid source." >&2
  exit 0
}

command -v npm >/dev/null 2>&1 || skip "npm not found (apt-get install npm)"
tmp=$(mktemp -d) || skip "no temporary directory"
trap 'rm -rf "$tmp"' EXIT

echo "fetch-mermaid.sh: npm pack mermaid@$version"
if ! (cd "$tmp" && npm pack "mermaid@$version" --prefer-offline --loglevel=error \
        --fetch-retries=1 --fetch-retry-mintimeout=2000 --fetch-retry-maxtimeout=5000 \
        --fetch-timeout=60000) >"$tmp/npm.log" 2>&1; then
  # The first line after npm's "code", "syscall" and "errno" lines says what went wrong.
  reason=$(grep -v -E '^npm (error|ERR!) (code|syscall|errno) ' "$tmp/npm.log" | head -n 1)
  skip "npm pack mermaid@$version failed (${reason:-no reason given})"
fi
tgz="$tmp/mermaid-$version.tgz"
[ -f "$tgz" ] || skip "npm pack wrote no $tgz"

# npm checks the tarball against the registry's metadata; this checks it against our pin.
actual=$(node -e 'const c = require("crypto"), fs = require("fs");
  process.stdout.write("sha512-" +
    c.createHash("sha512").update(fs.readFileSync(process.argv[1])).digest("base64"));' "$tgz")
if [ "$actual" != "$integrity" ]; then
  echo "fetch-mermaid.sh: mermaid-$version.tgz is $actual, expected $integrity: refused" >&2
  exit 1
fi

tar -xzf "$tgz" -C "$tmp" package/dist/mermaid.min.js package/LICENSE ||
  skip "mermaid-$version.tgz has no dist/mermaid.min.js"
if ! { mkdir -p "$dest" &&
  cp "$tmp/package/LICENSE" "$dest/mermaid.LICENSE" &&
  cp "$tmp/package/dist/mermaid.min.js" "$dest/mermaid.min.js.part" &&
  mv "$dest/mermaid.min.js.part" "$dest/mermaid.min.js" &&
  echo "$version" >"$stamp"; }; then
  skip "cannot write to $dest"
fi
echo "fetch-mermaid.sh: mermaid $version -> $dest/mermaid.min.js"
