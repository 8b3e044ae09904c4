#!/usr/bin/env bash
# The load client's own test, run by ctest (label "tools"):
#   selftest.sh ECHO_BENCH ECHO_SERVER
# Starts ECHO_SERVER on an ephemeral port (program contract: first stdout line
# "listening on 127.0.0.1:<port>"), checks that a short run moves messages and exits 0, that
# --messages stops on the exact count, that bad command lines exit 2, that a server that stops
# answering cannot hold the client past --timeout, that a port with nothing listening fails
# with exit 1, and (when python3 is there) that a corrupted echo is caught.
# Every wait is bounded: read -t on the server's output, echo_bench's own deadline, timeout(1).
set -euo pipefail

bench=$1
server=$2
tmp=$(mktemp -d)
server_pid=
helper_pid=

cleanup() {
  local pid
  for pid in $server_pid $helper_pid; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -KILL "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
  echo "selftest: FAIL: $*" >&2
  exit 1
}

# field NAME LINE: the value of NAME=... in an echo_bench summary line.
field() {
  sed -n "s|.*[[:space:]]$1=\([^[:space:]]*\).*|\1|p" <<<" $2"
}

# Runs echo_bench bounded by timeout(1); sets $out (stdout), $err (stderr) and $rc.
run_bench() {
  rc=0
  timeout -k 5 60 "$bench" "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
  out=$(cat "$tmp/out")
  err=$(cat "$tmp/err")
}

# --- the server, its port read from its first line through a FIFO (no polling) ---
mkfifo "$tmp/server.fifo"
"$server" --port 0 >"$tmp/server.fifo" &
server_pid=$!
exec 3<"$tmp/server.fifo"
IFS= read -r -t 10 banner <&3 || fail "no first line from $server within 10 s"
[[ $banner =~ ^listening\ on\ 127\.0\.0\.1:([0-9]+)$ ]] || fail "unexpected first line: $banner"
port=${BASH_REMATCH[1]}

# --- a short measured run ---
run_bench --port "$port" --connections 10 --seconds 1 --warmup 0.2 \
  --server-pid "$server_pid" --json "$tmp/run.json"
echo "echo_bench: $out"
[[ $rc -eq 0 ]] || fail "echo_bench exited $rc: $err"
rate=$(field 'msgs/s' "$out")
[[ $rate =~ ^[0-9]+$ && $rate -gt 0 ]] || fail "msgs/s is not positive in: $out"
[[ $(field errors "$out") == 0 ]] || fail "errors reported: $out"
[[ -n $(field 'server_us/msg' "$out") ]] || fail "no server CPU figure with --server-pid: $out"
grep -q '"tool":"echo_bench"' "$tmp/run.json" || fail "JSON report lacks the tool name"
grep -q '"msgs_per_s":' "$tmp/run.json" || fail "JSON report lacks msgs_per_s"
if command -v python3 >/dev/null; then
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["result"]["messages"] > 0' \
    "$tmp/run.json" || fail "JSON report does not parse or has no messages"
fi

# --- --messages stops on the exact count ---
run_bench --port "$port" --connections 4 --threads 2 --messages 500 --warmup 0
[[ $rc -eq 0 ]] || fail "--messages run exited $rc: $err"
[[ $(field messages "$out") == 500 ]] || fail "--messages 500 counted: $out"

# --- command lines that must be refused with exit status 2 ---
run_bench --port "$port" --host 10.0.0.1
[[ $rc -eq 2 ]] || fail "--host 10.0.0.1 exited $rc, expected 2"
[[ $err == *"--host must be 127.0.0.1 or ::1"* ]] || fail "no message for a refused host: $err"
[[ -z $out ]] || fail "a refused host still printed a result: $out"
run_bench --port "$port" --bogus
[[ $rc -eq 2 && $err == *"unknown option"* ]] || fail "an unknown flag exited $rc"
run_bench --connections 5
[[ $rc -eq 2 && $err == *"--port is required"* ]] || fail "a missing --port exited $rc"
run_bench --port "$port" --seconds 1 --messages 5
[[ $rc -eq 2 ]] || fail "--seconds with --messages exited $rc"
run_bench --help
[[ $rc -eq 0 && $out == usage:* ]] || fail "--help exited $rc"

# --- a server that stops answering cannot hold the client past its hard deadline ---
kill -STOP "$server_pid"
started=$SECONDS
run_bench --port "$port" --connections 2 --seconds 5 --timeout 1.5
kill -CONT "$server_pid"
echo "echo_bench (stopped server): $out"
[[ $rc -eq 1 && $out == *incomplete* ]] || fail "a stopped server gave exit $rc: $out"
((SECONDS - started <= 4)) || fail "--timeout 1.5 took $((SECONDS - started)) s"

# --- SIGTERM stops the server with status 0; its FIFO end closing tells us it exited ---
kill -TERM "$server_pid"
timeout 10 cat <&3 >/dev/null || fail "the server did not exit within 10 s of SIGTERM"
status=0
wait "$server_pid" || status=$?
server_pid=
[[ $status -eq 0 ]] || fail "the server exited $status after SIGTERM"

# --- nothing listens on that port now: connecting fails (after brief retries), exit 1 ---
run_bench --port "$port" --connections 3 --seconds 1 --warmup 0
echo "echo_bench (no server): $out"
[[ $rc -eq 1 ]] || fail "a run against a closed port exited $rc, expected 1"
[[ $out == *"connect=3"* ]] || fail "the connect failures were not counted: $out"

# --- a server that corrupts its echo is caught as a mismatch ---
if command -v python3 >/dev/null; then
  mkfifo "$tmp/helper.fifo"
  python3 -u -c '
import socket, threading
listener = socket.create_server(("127.0.0.1", 0))
print("listening on 127.0.0.1:%d" % listener.getsockname()[1])
def serve(conn):
    with conn:
        while data := conn.recv(65536):
            conn.sendall(bytes([data[0] ^ 0xFF]) + data[1:])
while True:
    conn, _ = listener.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
' >"$tmp/helper.fifo" &
  helper_pid=$!
  exec 4<"$tmp/helper.fifo"
  IFS= read -r -t 10 banner <&4 || fail "the corrupting helper server did not start"
  [[ $banner =~ :([0-9]+)$ ]] || fail "unexpected helper line: $banner"
  run_bench --port "${BASH_REMATCH[1]}" --connections 2 --seconds 0.5 --warmup 0
  echo "echo_bench (corrupting server): $out"
  [[ $rc -eq 1 ]] || fail "a corrupted echo exited $rc, expected 1"
  [[ $out == *"mismatch=2"* ]] || fail "the mismatches were not counted: $out"
  [[ $err == *"echo differs at byte 0"* ]] || fail "no mismatch diagnostic: $err"
fi

echo "selftest: PASS"
