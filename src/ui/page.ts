/**
 * The dashboard page: one HTML document with inline CSS and JS, no build step. Every piece of user
 * text (run names, notes, errors, logs) reaches the DOM through textContent, never as HTML.
 */
export const DASHBOARD_HTML = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>RunForge</title>
<style>
  :root { --bg:#f6f7f9; --card:#fff; --ink:#1d2330; --muted:#6b7385; --line:#e3e6ec; --ok:#1f9d55; --warn:#c77d00; --bad:#d64545; --accent:#3b6fd8; }
  * { box-sizing: border-box; }
  body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; background:var(--bg); color:var(--ink); }
  header { display:flex; gap:16px; align-items:center; padding:12px 20px; background:#1d2330; color:#fff; flex-wrap:wrap; }
  header h1 { font-size:18px; margin:0; } header .ws { color:#aab3c5; font-size:12px; }
  main { padding:16px 20px; display:grid; gap:16px; }
  section { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:12px 16px; }
  h2 { font-size:15px; margin:0 0 8px; }
  table { width:100%; border-collapse:collapse; } th, td { text-align:left; padding:5px 8px; border-bottom:1px solid var(--line); vertical-align:middle; }
  th { color:var(--muted); font-weight:600; font-size:12px; text-transform:uppercase; }
  .badge { padding:3px 10px; border-radius:12px; font-weight:600; font-size:13px; }
  .badge.healthy { background:#e3f5ea; color:var(--ok); } .badge.stale { background:#fdecec; color:var(--bad); }
  .badge.stopped, .badge.not_running, .badge.stopping { background:#fff4dd; color:var(--warn); }
  .slots { display:flex; gap:14px; } .slot { background:#2b3344; padding:3px 10px; border-radius:6px; font-size:13px; }
  .bar { width:160px; height:10px; background:#e8ebf1; border-radius:5px; overflow:hidden; display:inline-block; vertical-align:middle; }
  .bar > div { height:100%; background:var(--accent); } .bar.failed > div { background:var(--bad); } .bar.completed > div { background:var(--ok); }
  .state { font-weight:600; } .state.succeeded, .state.completed { color:var(--ok); } .state.failed { color:var(--bad); }
  .state.running { color:var(--accent); } .state.canceled { color:var(--muted); } .state.queued, .state.pending { color:var(--warn); }
  button { border:1px solid var(--line); background:#fff; border-radius:5px; padding:3px 9px; cursor:pointer; font-size:12px; margin-right:4px; }
  button:hover { border-color:var(--accent); } button.danger:hover { border-color:var(--bad); color:var(--bad); }
  a { color:var(--accent); text-decoration:none; } a:hover { text-decoration:underline; }
  pre { background:#10141c; color:#d5dbe6; padding:10px; border-radius:6px; overflow:auto; max-height:360px; font-size:12px; margin:0; white-space:pre-wrap; }
  .muted { color:var(--muted); } .row { display:flex; gap:16px; flex-wrap:wrap; } .row > * { flex:1 1 420px; }
  .filters { display:flex; gap:8px; margin-bottom:8px; } select { padding:3px; }
  #message { color:var(--bad); } svg text { font-size:11px; fill:var(--muted); }
</style>
</head>
<body>
<header>
  <h1>RunForge</h1>
  <span id="daemon" class="badge" data-testid="daemon">connecting…</span>
  <span class="slots" id="slots" data-testid="slots"></span>
  <span class="ws" id="workspace"></span>
</header>
<main id="main"><section>Loading…</section></main>
<script>
"use strict";
const token = new URLSearchParams(location.search).get("token") || "";
let status = null;
const filters = { group: "", state: "", sort: "time" };
let allMetrics = false;

/** Builds an element; string children become text nodes (never HTML). */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}
const svg = (tag, attrs) => { const el = document.createElementNS("http://www.w3.org/2000/svg", tag); for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v)); return el; };
const fmt = (v) => (typeof v === "number" ? (Math.round(v * 10000) / 10000).toString() : "-");
/** A metric value with d decimals; a tiny non-zero one in exponent form (as the CLI). */
function fmtD(v, d) {
  if (typeof v !== "number") return "—";
  return v !== 0 && Math.abs(v) < Math.pow(10, -d) ? v.toExponential(d - 1) : v.toFixed(d);
}
/** At least 4 decimals; more only when two different values would otherwise print alike (as the CLI). */
function decimalsFor(values) {
  const vs = [...new Set(values.filter((v) => typeof v === "number" && isFinite(v)))];
  for (let d = 4; d < 12; d++) if (new Set(vs.map((v) => fmtD(v, d))).size === vs.length) return d;
  return 12;
}
/** "loss ↓" / "accuracy ↑": the metric and the direction that is better. */
const metricLabel = (m) => (m ? m.name + " " + (m.goal === "minimize" ? "↓" : "↑") : "Metric");
/** A run's metric cell: the value under the shared metric, its own name when it differs, — without. */
function metricCell(r, metric, d) {
  if (typeof r.metric !== "number") return "—";
  if (metric && r.metric_name === metric.name) return fmtD(r.metric, d);
  return metricLabel({ name: r.metric_name, goal: r.metric_goal }) + " " + fmtD(r.metric, d);
}
const dur = (ms) => (typeof ms === "number" ? (ms < 60000 ? (ms / 1000).toFixed(1) + " s" : Math.round(ms / 60000) + " min") : "-");
async function getJson(path) { const r = await fetch(path, { cache: "no-store" }); const j = await r.json(); if (!r.ok) throw new Error(j.error || r.statusText); return j; }
async function act(path) {
  const r = await fetch(path, { method: "POST", headers: { "x-runforge-token": token } });
  const j = await r.json().catch(() => ({}));
  if (!r.ok) showMessage(j.error || ("HTTP " + r.status)); else showMessage("");
  refresh();
}
function showMessage(text) { const m = document.getElementById("message"); if (m) m.textContent = text; }

function renderHeader(s) {
  const d = document.getElementById("daemon");
  const age = s.daemon.heartbeat_age_s === null ? "" : ", heartbeat " + Math.round(s.daemon.heartbeat_age_s) + "s ago";
  const text = {
    healthy: "Daemon healthy (PID " + s.daemon.pid + age + ")",
    stopping: "Daemon stopping (PID " + s.daemon.pid + ")",
    stale: s.daemon.reason && s.daemon.reason !== "heartbeat is stale"
      ? "⚠ Daemon dead (PID " + s.daemon.pid + "): " + s.daemon.reason + age
      : "⚠ Stale heartbeat: the daemon (PID " + s.daemon.pid + ") is probably gone" + age,
    stopped: "Daemon stopped",
    not_running: "No daemon running",
  }[s.daemon.health];
  d.textContent = text; d.className = "badge " + s.daemon.health; d.setAttribute("data-health", s.daemon.health);
  const slots = document.getElementById("slots");
  slots.replaceChildren(
    h("span", { class: "slot", "data-testid": "cpu-slots" }, "CPU " + s.slots.cpu.used + "/" + s.slots.cpu.limit),
    h("span", { class: "slot", "data-testid": "gpu-slots" }, "GPU " + s.slots.gpu.used + "/" + s.slots.gpu.limit),
    ...s.gpus.map((g) => h("span", { class: "slot", "data-testid": "gpu-device", title: g.name }, "GPU" + g.index + " " + g.used + "/" + g.limit)),
    h("span", { class: "slot" }, s.jobs.queued + " queued" + (s.jobs.waiting_for_gpu ? " (" + s.jobs.waiting_for_gpu + " waiting for a GPU)" : "")),
  );
  document.getElementById("workspace").textContent = s.workspace;
}

function groupsSection(s) {
  const d = decimalsFor(s.groups.map((g) => g.best_primary_metric));
  const rows = s.groups.map((g) => h("tr", { "data-group": g.group_id },
    h("td", {}, h("a", { href: "#/group/" + encodeURIComponent(g.group_id) }, g.name), h("div", { class: "muted" }, g.group_id)),
    h("td", {}, h("span", { class: "state " + g.status }, g.status + (g.paused ? " (paused)" : ""))),
    h("td", {}, h("span", { class: "bar " + g.status }, h("div", { style: "width:" + Math.round(g.progress * 100) + "%" })), " " + g.done + "/" + g.total),
    h("td", {}, g.queued + " queued · " + g.running + " running · " + g.succeeded + " ok · " + g.failed + " failed · " + g.canceled + " canceled"),
    h("td", { "data-testid": "group-best" }, g.best_run_id ? h("a", { href: "#/run/" + encodeURIComponent(g.best_run_id) }, (g.metric ? metricLabel(g.metric) + " " : "") + fmtD(g.best_primary_metric, d)) : "—"),
    h("td", {},
      g.paused ? h("button", { "data-action": "resume", onclick: () => act("/api/groups/" + encodeURIComponent(g.group_id) + "/resume") }, "Resume")
               : h("button", { "data-action": "pause", onclick: () => act("/api/groups/" + encodeURIComponent(g.group_id) + "/pause") }, "Pause"),
      h("button", { "data-action": "retry", onclick: () => act("/api/groups/" + encodeURIComponent(g.group_id) + "/retry") }, "Retry failed"),
      h("button", { class: "danger", "data-action": "cancel", onclick: () => act("/api/groups/" + encodeURIComponent(g.group_id) + "/cancel") }, "Cancel")),
  ));
  return h("section", { "data-testid": "groups" }, h("h2", {}, "Groups"),
    s.groups.length ? h("table", {}, h("tr", {}, ["Group", "Status", "Progress", "Runs", "Best", ""].map((t) => h("th", {}, t))), rows)
                    : h("p", { class: "muted" }, "No groups yet: runforge enqueue-sweep --plan plan.json"));
}

async function runsSection(s) {
  const q = new URLSearchParams(); if (filters.group) q.set("group", filters.group); if (filters.state) q.set("state", filters.state);
  if (filters.sort !== "time") q.set("sort", filters.sort);
  const { runs, metric } = await getJson("/api/runs?" + q);
  // One header names the metric when every run has the same one; a mix names it in each cell.
  const shared = metric && runs.every((r) => r.metric_name === null || r.metric_name === metric.name) ? metric : null;
  const d = decimalsFor(runs.map((r) => r.metric));
  const groupSelect = h("select", { "data-testid": "filter-group", onchange: (e) => { filters.group = e.target.value; refresh(); } },
    h("option", { value: "" }, "all groups"), s.groups.map((g) => h("option", { value: g.group_id, selected: filters.group === g.group_id }, g.name + " (" + g.group_id + ")")));
  const stateSelect = h("select", { "data-testid": "filter-state", onchange: (e) => { filters.state = e.target.value; refresh(); } },
    h("option", { value: "" }, "all states"), ["queued", "running", "succeeded", "failed", "canceled"].map((st) => h("option", { value: st, selected: filters.state === st }, st)));
  const sortSelect = h("select", { "data-testid": "sort", onchange: (e) => { filters.sort = e.target.value; refresh(); } },
    h("option", { value: "time", selected: filters.sort === "time" }, "newest first"), h("option", { value: "metric", selected: filters.sort === "metric" }, "best " + (metric ? metric.name : "metric") + " first"));
  const rows = runs.map((r) => h("tr", { "data-run": r.run_id },
    h("td", {}, h("a", { href: "#/run/" + encodeURIComponent(r.run_id) }, r.run_id), r.name ? h("div", { class: "muted" }, r.name) : null),
    h("td", {}, h("span", { class: "state " + r.state }, r.state)),
    h("td", {}, r.device || (r.requires_gpu ? "gpu (wanted)" : "-")),
    h("td", { "data-testid": "run-origin" }, r.origin === "daemon" ? "daemon, attempt " + r.attempt : r.origin === "direct-sweep" ? "direct sweep" : "foreground"), h("td", {}, dur(r.duration_ms)),
    h("td", { "data-testid": "run-metric" }, r.metric === null && r.error ? h("span", { class: "muted", title: r.error }, r.error.slice(0, 60)) : metricCell(r, shared, d)),
    h("td", {}, r.state === "queued" || r.state === "running" ? h("button", { class: "danger", "data-action": "cancel-run", onclick: () => act("/api/runs/" + encodeURIComponent(r.run_id) + "/cancel") }, "Cancel") : null),
  ));
  return h("section", { "data-testid": "runs" }, h("h2", {}, "Runs"), h("div", { class: "filters" }, groupSelect, stateSelect, sortSelect),
    h("table", {}, h("tr", {}, ["Run", "Status", "Device", "Ran by", "Duration", shared ? metricLabel(shared) : "Primary metric", ""].map((t) => h("th", {}, t))), rows));
}

/** Line chart of every metric in metrics.jsonl by step. */
function metricsChart(points) {
  const W = 560, H = 220, P = 36;
  const el = svg("svg", { width: W, height: H, viewBox: "0 0 " + W + " " + H, "data-testid": "metrics-chart" });
  if (!points.length) { el.append(svg("text", { x: P, y: H / 2 })); el.lastChild.textContent = "no metrics yet"; return el; }
  const names = [...new Set(points.map((p) => p.name))];
  const xs = points.map((p) => p.step), ys = points.map((p) => p.value);
  const x0 = Math.min(...xs), x1 = Math.max(...xs), y0 = Math.min(0, ...ys), y1 = Math.max(...ys, 1e-9);
  const X = (v) => P + ((v - x0) / ((x1 - x0) || 1)) * (W - 2 * P), Y = (v) => H - P - ((v - y0) / ((y1 - y0) || 1)) * (H - 2 * P);
  const colors = ["#3b6fd8", "#1f9d55", "#d64545", "#c77d00", "#7b4fd8", "#1b9aaa"];
  el.append(svg("line", { x1: P, y1: H - P, x2: W - P, y2: H - P, stroke: "#ccc" }), svg("line", { x1: P, y1: P, x2: P, y2: H - P, stroke: "#ccc" }));
  names.forEach((name, i) => {
    const ps = points.filter((p) => p.name === name).sort((a, b) => a.step - b.step);
    const color = colors[i % colors.length];
    el.append(svg("polyline", { points: ps.map((p) => X(p.step) + "," + Y(p.value)).join(" "), fill: "none", stroke: color, "stroke-width": 2 }));
    for (const p of ps) el.append(svg("circle", { cx: X(p.step), cy: Y(p.value), r: 3, fill: color, "data-metric": name }));
    const label = svg("text", { x: W - P - 120, y: P + 14 * i, fill: color }); label.textContent = name; el.append(label);
  });
  const t0 = svg("text", { x: 4, y: H - P }); t0.textContent = fmt(y0); const t1 = svg("text", { x: 4, y: P + 4 }); t1.textContent = fmt(y1);
  el.append(t0, t1);
  return el;
}

/** Scatter of the primary metric against a swept parameter. */
function sweepChart(rows, param) {
  const W = 560, H = 240, P = 40;
  const el = svg("svg", { width: W, height: H, "data-testid": "group-chart" });
  const pts = rows.filter((r) => r.metric !== null).map((r) => ({ r, x: r.overrides[param], y: r.metric }));
  const numeric = pts.every((p) => typeof p.x === "number");
  const cats = [...new Set(pts.map((p) => JSON.stringify(p.x)))];
  const xv = (p) => (numeric ? p.x : cats.indexOf(JSON.stringify(p.x)));
  const xs = pts.map(xv), ys = pts.map((p) => p.y);
  if (!pts.length) return el;
  const x0 = Math.min(...xs), x1 = Math.max(...xs), y0 = Math.min(...ys), y1 = Math.max(...ys);
  const X = (v) => P + ((v - x0) / ((x1 - x0) || 1)) * (W - 2 * P), Y = (v) => H - P - ((v - y0) / ((y1 - y0) || 1)) * (H - 2 * P);
  el.append(svg("line", { x1: P, y1: H - P, x2: W - P, y2: H - P, stroke: "#ccc" }));
  for (const p of pts) {
    const c = svg("circle", { cx: X(xv(p)), cy: Y(p.y), r: 5, fill: "#3b6fd8", "data-run": p.r.run_id });
    const title = svg("title", {}); title.textContent = p.r.run_id + ": " + JSON.stringify(p.x) + " → " + fmt(p.y); c.append(title); el.append(c);
  }
  if (!numeric) cats.forEach((c, i) => { const t = svg("text", { x: X(i) - 20, y: H - P + 16 }); t.textContent = c.slice(0, 24); el.append(t); });
  const t0 = svg("text", { x: 2, y: H - P }); t0.textContent = fmt(y0); const t1 = svg("text", { x: 2, y: P }); t1.textContent = fmt(y1); el.append(t0, t1);
  return el;
}

let logState = { run: null, next: 0, text: "" };
async function runView(runId) {
  const d = await getJson("/api/runs/" + encodeURIComponent(runId));
  if (logState.run !== runId) logState = { run: runId, next: 0, text: "" };
  const chunk = await getJson("/api/runs/" + encodeURIComponent(runId) + "/log?from=" + logState.next);
  logState.text = (logState.text + chunk.text).slice(-200000); logState.next = chunk.next;
  const { points } = await getJson("/api/runs/" + encodeURIComponent(runId) + "/metrics");
  const state = d.job ? d.job.state : (d.result ? d.result.status : "unknown");
  const logEl = h("pre", { "data-testid": "log" }, logState.text.split("\n").slice(-400).join("\n"));
  const artifacts = (d.result && d.result.artifacts) || [];
  const summary = (d.result && d.result.summary) || {};
  const finals = summary.metrics || {};
  const primary = summary.primary_metric;
  const view = h("div", {},
    h("section", {}, h("a", { href: "#/" }, "← all runs"),
      h("h2", {}, "Run " + runId + (d.request && d.request.name ? " — " + d.request.name : "")),
      h("p", {}, h("span", { class: "state " + state, "data-testid": "run-state" }, state),
        d.job ? " · attempt " + d.job.attempt + (d.job.gpu_device !== null && d.job.gpu_device !== undefined ? " · gpu " + d.job.gpu_device : "") : "",
        d.result ? " · " + dur(d.result.duration_ms) : "",
        d.result && d.result.error ? h("div", { class: "state failed" }, d.result.error.message) : null),
      d.problems.length ? h("p", { id: "message" }, d.problems.join("; ")) : null),
    h("div", { class: "row" },
      h("section", {}, h("h2", {}, "Metrics"), metricsChart(points)),
      h("section", {}, h("h2", {}, "Effective config"), h("pre", { "data-testid": "config" }, JSON.stringify(d.result ? d.result.effective_config : d.request, null, 2)),
        h("h2", {}, "Final metrics"), Object.keys(finals).length
          ? h("table", { "data-testid": "final-metrics" }, Object.keys(finals).sort().map((n) => h("tr", {}, h("td", {}, primary && primary.name === n ? metricLabel(primary) + " (ranks runs)" : n), h("td", {}, fmtD(finals[n], decimalsFor([finals[n]]))))))
          : h("p", { class: "muted" }, "none yet"),
        h("h2", {}, "Artifacts"), artifacts.length ? h("ul", {}, artifacts.map((a) => h("li", {}, a.path + " (" + a.type + ", " + a.bytes + " bytes)"))) : h("p", { class: "muted" }, "none yet"))),
    h("section", {}, h("h2", {}, "Log"), logEl));
  document.getElementById("main").replaceChildren(view);
  logEl.scrollTop = logEl.scrollHeight;
}

let groupParam = null;
async function groupView(gid) {
  const { group, leaderboard, metric } = await getJson("/api/groups/" + encodeURIComponent(gid));
  const d = decimalsFor(leaderboard.map((r) => r.metric));
  // The other metrics, on demand: one column each, decimals per column.
  const others = allMetrics ? [...new Set(leaderboard.flatMap((r) => Object.keys(r.metrics || {})))].filter((n) => !metric || n !== metric.name).sort() : [];
  const otherD = others.map((n) => decimalsFor(leaderboard.map((r) => (r.metrics || {})[n])));
  const toggle = h("label", {}, h("input", { type: "checkbox", "data-testid": "all-metrics", checked: allMetrics, onchange: (e) => { allMetrics = e.target.checked; refresh(); } }), " all metrics");
  const hints = leaderboard.filter((r) => r.hint).map((r) => h("li", {}, r.hint));
  const params = [...new Set(leaderboard.flatMap((r) => Object.keys(r.overrides)))];
  if (!params.includes(groupParam)) groupParam = params[0] || null;
  const select = h("select", { onchange: (e) => { groupParam = e.target.value; refresh(); } }, params.map((p) => h("option", { value: p, selected: p === groupParam }, p)));
  const view = h("div", {},
    h("section", {}, h("a", { href: "#/" }, "← dashboard"), h("h2", {}, group.name + " (" + group.group_id + ")"),
      group.notes ? h("p", { class: "muted" }, group.notes) : null,
      h("p", {}, h("span", { class: "state " + group.status }, group.status), " · " + group.summary.succeeded + " ok, " + group.summary.failed + " failed, " + group.summary.canceled + " canceled of " + group.summary.total)),
    h("section", {}, h("h2", {}, (metric ? metricLabel(metric) : "Primary metric") + " against ", select), groupParam ? sweepChart(leaderboard, groupParam) : h("p", {}, "nothing swept")),
    h("section", {}, h("h2", {}, "Leaderboard", metric ? h("span", { class: "muted", "data-testid": "ranked-by" }, " — ranked by " + metric.name + ", " + (metric.goal === "minimize" ? "lower" : "higher") + " is better") : null),
      h("div", { class: "filters" }, toggle),
      h("table", { "data-testid": "leaderboard" },
      h("tr", {}, ["#", "Run", "Status", "Family", "Device", metricLabel(metric), ...others, "Time", "Swept values"].map((t) => h("th", {}, t))),
      leaderboard.map((r) => h("tr", { "data-run": r.run_id }, h("td", {}, r.rank === null ? "-" : String(r.rank)), h("td", {}, h("a", { href: "#/run/" + encodeURIComponent(r.run_id) }, r.run_id)),
        h("td", {}, h("span", { class: "state " + r.status }, r.status)), h("td", {}, r.family || "-"), h("td", {}, r.device || "-"),
        h("td", { "data-testid": "metric", title: r.hint || "" }, metricCell(r, metric, d)),
        others.map((n, i) => h("td", {}, fmtD((r.metrics || {})[n], otherD[i]))),
        h("td", {}, dur(r.duration_ms)), h("td", {}, JSON.stringify(r.overrides))))),
      hints.length ? h("ul", { class: "muted", "data-testid": "metric-hints" }, hints) : null));
  document.getElementById("main").replaceChildren(view);
}

let rendering = false, again = false;
async function refresh() {
  if (rendering) { again = true; return; }
  rendering = true;
  try {
    do {
      again = false;
      const route = location.hash.replace(/^#\/?/, "").split("/");
      if (route[0] === "run" && route[1]) await runView(decodeURIComponent(route[1]));
      else if (route[0] === "group" && route[1]) await groupView(decodeURIComponent(route[1]));
      else if (status) {
        const runs = await runsSection(status);
        document.getElementById("main").replaceChildren(h("p", { id: "message" }), groupsSection(status), runs);
      }
    } while (again);
  } catch (err) {
    document.getElementById("main").replaceChildren(h("section", {}, h("p", { id: "message" }, String(err.message || err))));
  } finally { rendering = false; }
}

function onStatus(s) {
  if (s.error) { showMessage(s.error); return; }
  status = s; renderHeader(s); refresh();
}
const events = new EventSource("/api/events");
events.addEventListener("status", (e) => onStatus(JSON.parse(e.data)));
events.onerror = () => { const d = document.getElementById("daemon"); d.textContent = "dashboard server unreachable"; d.className = "badge stale"; };
window.addEventListener("hashchange", refresh);
getJson("/api/status").then(onStatus).catch((e) => showMessage(String(e)));
</script>
</body>
</html>
`;
