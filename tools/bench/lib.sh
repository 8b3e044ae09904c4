# Shell functions shared by the benchmark scripts (echo-steps, http-vs-nginx); sourced, not run.
#
#   bench_process_gone PID              true when PID has exited (or is a zombie)
#   bench_stop PID [NAME]               SIGTERM, up to 10 s to exit, then SIGKILL; reaps PID and
#                                       sets bench_exit to its exit status (call from the shell
#                                       that started it, or wait(1) cannot reap it)
#   bench_cache_get CACHE KEY           a CMakeCache.txt entry's value
#   bench_compile_flags DATABASE SUFFIX the code-generation flags (-O, -g, -f, -m, -std, -DNDEBUG)
#                                       the source file ending in SUFFIX was compiled with,
#                                       from compile_commands.json; empty if unknown
#   bench_append_json OUT BASE FIELD... appends one JSON line to OUT: the object in file BASE
#                                       (or {} when BASE is - or unreadable), plus each FIELD,
#                                       s:a.b=text (a string) or j:a.b=1.5 (JSON), at the dotted
#                                       path a.b
# shellcheck shell=bash disable=SC2034  # bench_exit is set for the caller

bench_process_gone() {
  local state
  state=$(sed -n 's/^.*) \(.\).*$/\1/p' "/proc/$1/stat" 2>/dev/null) || return 0
  [[ -z $state || $state == Z ]]
}

bench_exit=
bench_stop() {
  local pid=$1 name=${2:-process} i
  bench_exit=0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 200; i++)); do
    bench_process_gone "$pid" && break
    sleep 0.05
  done
  if ! bench_process_gone "$pid"; then
    echo "$name $pid ignored SIGTERM for 10 s; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || bench_exit=$?
}

bench_cache_get() {
  sed -n "s/^$2:[A-Z]*=//p" "$1" 2>/dev/null | head -n 1
}

bench_compile_flags() {
  python3 - "$1" "$2" <<'PY' 2>/dev/null || true
import json, os, re, shlex, sys
database, suffix = sys.argv[1], sys.argv[2]
for entry in json.load(open(database)):
    path = os.path.normpath(os.path.join(entry.get("directory", ""), entry["file"]))
    if path.endswith(suffix):
        args = entry.get("arguments") or shlex.split(entry["command"])
        print(" ".join(a for a in args[1:] if re.match(r"-(O|g|f|m|std=|DNDEBUG$)", a)))
        break
PY
}

bench_append_json() {
  python3 - "$@" <<'PY'
import json, sys
out_path, base_path, *fields = sys.argv[1:]
record = {}
if base_path != "-":
    try:
        with open(base_path) as f:
            record = json.load(f)
    except (OSError, ValueError):
        record = {}
for field in fields:
    kind, _, rest = field.partition(":")
    path, _, value = rest.partition("=")
    *parents, key = path.split(".")
    target = record
    for parent in parents:
        target = target.setdefault(parent, {})
    target[key] = json.loads(value) if kind == "j" else value
with open(out_path, "a") as f:
    f.write(json.dumps(record, separators=(",", ":")) + "\n")
PY
}
