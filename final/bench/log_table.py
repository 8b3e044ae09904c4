#!/usr/bin/env python3
"""Prints the Markdown table of notes/10-logging.md from log_bench's JSON output.

  log_bench --benchmark_repetitions=5 --benchmark_enable_random_interleaving=true \\
            --benchmark_report_aggregates_only=true \\
            --benchmark_out=log_bench.json --benchmark_out_format=json
  python3 final/bench/log_table.py log_bench.json

One row per kind and thread count, from the medians: calls/s and CPU from the `sample:0` runs
(nothing but log calls in the loop), the latency percentiles from the `sample:16` runs.
"""

import json
import re
import sys

NAME_RE = re.compile(r"^BM_Log/(\w+)/sample:(\d+)/real_time/threads:(\d+)$")


def fmt(value, digits=0):
    return f"{value:,.{digits}f}"


def main(path):
    with open(path) as f:
        data = json.load(f)
    rows = {}  # (kind, threads) -> {"tput": run, "lat": run}
    order = []
    for run in data["benchmarks"]:
        if run.get("aggregate_name") != "median":
            continue
        m = NAME_RE.match(run["run_name"])
        if not m:
            continue
        kind, sample, threads = m.group(1), int(m.group(2)), int(m.group(3))
        key = (kind, threads)
        if key not in rows:
            rows[key] = {}
            order.append(key)
        rows[key]["lat" if sample else "tput"] = run
    kinds = ["async_q8", "async_q1024", "sync", "format_only", "filtered"]
    order.sort(key=lambda k: (kinds.index(k[0]) if k[0] in kinds else 99, k[1]))
    print("| kind | threads | calls/s | caller CPU ns/call | process CPU ns/call "
          "| p50 ns | p99 ns | p99.9 ns | dropped |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for kind, threads in order:
        t = rows[(kind, threads)].get("tput", {})
        lat = rows[(kind, threads)].get("lat", {})
        print(f"| {kind} | {threads} | {fmt(t.get('items_per_second', 0))} "
              f"| {fmt(t.get('cpu_time', 0), 1)} | {fmt(t.get('proc_ns_per_call', 0), 1)} "
              f"| {fmt(lat.get('p50_ns', 0))} | {fmt(lat.get('p99_ns', 0))} "
              f"| {fmt(lat.get('p999_ns', 0))} | {fmt(t.get('dropped_pct', 0), 1)}% |")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1])
