// StatsPage: http_server's /stats.html, a page that shows /stats live.
//
// Self-contained (inline CSS and JavaScript, nothing fetched but /stats), so it works offline
// and behind any proxy. Every second it fetches /stats and redraws the counters and one row per
// loop with a bar for its connections: open a few connections (a browser tab, `curl`, the load
// client) and watch them spread over the sub loops, round robin.
#pragma once

namespace net {

/// The page served at /stats.html.
inline constexpr const char kStatsPage[] = R"html(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>http_server: live stats</title>
<style>
  body { font: 15px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
  h1 { font-size: 1.3em; }
  dl { display: grid; grid-template-columns: max-content max-content; gap: .2em 1.2em; }
  dt { color: #666; } dd { margin: 0; font-variant-numeric: tabular-nums; }
  table { border-collapse: collapse; margin-top: 1em; min-width: 32em; }
  th, td { text-align: left; padding: .25em .6em; border-bottom: 1px solid #ddd; }
  td.count { text-align: right; font-variant-numeric: tabular-nums; }
  .bar { height: .9em; background: #3a7bd5; min-width: 1px; }
  #status { color: #666; font-size: .9em; }
  #status.error { color: #b00; }
</style>
</head>
<body>
<h1>http_server: connections per loop</h1>
<dl>
  <dt>uptime</dt><dd id="uptime">-</dd>
  <dt>requests</dt><dd id="requests">-</dd>
  <dt>bytes in</dt><dd id="bytesIn">-</dd>
  <dt>bytes out</dt><dd id="bytesOut">-</dd>
  <dt>connections open</dt><dd id="connections">-</dd>
  <dt>connections accepted</dt><dd id="accepted">-</dd>
  <dt>answers being computed</dt><dd id="deferred">-</dd>
</dl>
<table>
  <thead><tr><th>loop</th><th>connections</th><th></th></tr></thead>
  <tbody id="loops"></tbody>
</table>
<p id="status">loading /stats ...</p>
<script>
"use strict";
function set(id, value) { document.getElementById(id).textContent = value; }
function row(loop, widest) {
  const tr = document.createElement("tr");
  const name = document.createElement("td");
  name.className = "name";
  name.textContent = loop.name;
  const count = document.createElement("td");
  count.className = "count";
  count.textContent = loop.connections;
  const cell = document.createElement("td");
  const bar = document.createElement("div");
  bar.className = "bar";
  bar.style.width = (widest > 0 ? 20 * loop.connections / widest : 0) + "em";
  cell.appendChild(bar);
  tr.append(name, count, cell);
  return tr;
}
async function refresh() {
  const status = document.getElementById("status");
  try {
    const response = await fetch("/stats", {cache: "no-store"});
    const stats = await response.json();
    set("uptime", stats.uptimeSeconds.toFixed(1) + " s");
    set("requests", stats.requests);
    set("bytesIn", stats.bytesIn);
    set("bytesOut", stats.bytesOut);
    set("connections", stats.connections);
    set("accepted", stats.connectionsAccepted);
    set("deferred", stats.deferred);
    const widest = Math.max(0, ...stats.loops.map(l => l.connections));
    document.getElementById("loops").replaceChildren(...stats.loops.map(l => row(l, widest)));
    status.className = "";
    status.textContent = "updated " + new Date().toLocaleTimeString();
  } catch (e) {
    status.className = "error";
    status.textContent = "cannot load /stats: " + e;
  }
}
refresh();
setInterval(refresh, 1000);
</script>
</body>
</html>
)html";

}  // namespace net
