// corpus monitor: polls the JSON API and redraws. No framework, no network beyond this server.
"use strict";
// Needs common.js (el, api, fillTable, articleLink, ...).

const params = new URLSearchParams(location.search);
const INTERVAL_S = Math.max(0.5, parseFloat(params.get("refresh") || "2") || 2);
const SVG = "http://www.w3.org/2000/svg";
const COLORS = { ready: "#2563eb", in_flight: "#059669", delayed: "#d97706", dead: "#dc2626",
                 canonical: "#2563eb", duplicate: "#7c3aed", failed: "#dc2626" };

function svg(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  return node;
}

function renderStatus(s) {
  const badge = $("health");
  badge.dataset.health = s.health || "error";
  badge.textContent = s.health || "error";
  $("problems").replaceChildren(...(s.problems || []).map(p => el("li", {}, p)));
  setText("updated", "updated " + new Date().toLocaleTimeString());
  if (s.health === "unreachable") return;
  const d = s.documents, q = Object.values(s.queues)[0] || {};
  setText("docs-total", d.total); setText("docs-canonical", d.canonical); setText("docs-duplicate", d.duplicate);
  setText("docs-failed", d.failed); setText("docs-pending", d.pending); setText("workers-alive", s.workers.alive);
  setText("queue-ready", q.ready); setText("queue-in-flight", q.in_flight); setText("queue-dead", q.dead);
  setText("queue-oldest", age(q.oldest_age_s));
  setText("rate-1m", s.throughput["1m"].per_minute); setText("rate-15m", s.throughput["15m"].per_minute);
  const workers = [...s.workers.processes.map(w => ({ ...w, stale: false })), ...(s.workers.stale || []).map(w => ({ ...w, stale: true }))];
  fillTable("workers", workers, w => el("tr", { class: w.stale ? "stale" : "" },
    el("td", {}, w.host), el("td", { class: "num" }, w.pid), el("td", { class: "num" }, w.threads),
    el("td", { class: "num" }, (w.stale ? "stale, " : "") + age(w.age_s) + " ago")));
  const inbox = s.inbox;
  setText("inbox", inbox ? `inbox ${inbox.path}: ${inbox.backlog} waiting, ${inbox.processing} processing` : "");
}

function renderDlq(payload) {
  setText("dlq-count", payload.count ? `(${payload.count})` : "");
  fillTable("dlq", payload.dead_letters || [], e => el("tr", { "data-id": e.id },
    el("td", { title: e.id }, e.id.slice(0, 8)), el("td", {}, e.actor), el("td", { class: "src" }, JSON.stringify(e.args)),
    el("td", { class: "num" }, age(e.age_s)), el("td", { class: "reason", title: e.error }, e.error),
    el("td", {}, el("button", { class: "requeue", "data-id": e.id, onclick: () => requeue(e.id) }, "Requeue"))));
}

async function requeue(id) {
  document.querySelectorAll(`button[data-id="${id}"]`).forEach(b => { b.disabled = true; });
  try {
    const result = await api(`/api/dlq/${encodeURIComponent(id)}/requeue`, { method: "POST" });
    toast(`requeued ${result.requeued} message(s)`);
  } catch (e) {
    toast("requeue failed: " + e.message, true);
  }
  refresh();
}

function renderFailures(payload) {
  fillTable("failures", payload.failures || [], f => el("tr", {},
    el("td", { class: "src" }, f.source), el("td", { class: "reason" }, f.error || "unknown"), el("td", {}, when(f.processed_at))));
}

function renderArticles(payload) {
  fillTable("articles", payload.articles || [], a => el("tr", {},
    el("td", { class: "num" }, a.id), el("td", {}, articleLink(a.id, a.title, a.source)),
    el("td", { class: "num" }, a.duplicates)));
}

// The largest recent events: how many stories, from which sites, over what span; each story links to its page.
const EVENT_TITLES = 4;
function renderEvents(payload) {
  setText("events-hours", payload.hours ? `last ${payload.hours} h` : "any time");
  fillTable("events", payload.events || [], e => {
    const titles = e.articles.slice(0, EVENT_TITLES).map(a => el("li", {}, articleLink(a.id, a.title, a.source)));
    if (e.articles.length > EVENT_TITLES) titles.push(el("li", { class: "muted" }, `and ${e.articles.length - EVENT_TITLES} more`));
    return el("tr", { "data-event": e.id },
      el("td", { class: "num" }, e.id), el("td", { class: "num size" }, e.size),
      el("td", {}, el("ul", { class: "titles" }, ...titles)),
      el("td", { class: "src" }, e.sites.join(", ")), el("td", {}, when(e.last)));
  });
}

// Charts: inline SVG. x: the last hour by minute; y: from 0 to the largest value.
function frame(container, rows, maxValue) {
  const W = 600, H = 180, L = 34, B = 18, T = 8, R = 8;
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: "none", role: "img" });
  const top = Math.max(1, Math.ceil(maxValue));
  const x = i => L + (i + 0.5) * (W - L - R) / Math.max(1, rows.length);
  const y = v => H - B - (v / top) * (H - B - T);
  root.append(svg("line", { x1: L, x2: W - R, y1: H - B, y2: H - B, class: "axis" }));
  for (const v of [0, top / 2, top]) {
    const label = svg("text", { x: L - 4, y: y(v) + 3, "text-anchor": "end" });
    label.textContent = Number.isInteger(v) ? v : v.toFixed(1);
    root.append(label, svg("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), class: "axis", "stroke-dasharray": "2 3" }));
  }
  rows.forEach((r, i) => {
    if (i % 15 === 0 || i === rows.length - 1) {
      const label = svg("text", { x: x(i), y: H - 4, "text-anchor": "middle" });
      const minutes = rows.length - 1 - i;
      label.textContent = minutes ? `-${minutes}m` : "now";
      root.append(label);
    }
  });
  return { root, x, y, step: (W - L - R) / Math.max(1, rows.length) };
}

function legend(names) {
  return el("div", { class: "legend" }, ...names.map(n => {
    const swatch = el("i");
    swatch.style.background = COLORS[n];  // CSSOM, allowed by the page's CSP
    return el("span", {}, swatch, n.replace("_", " "));
  }));
}

function lineChart(container, rows, series) {
  const maxValue = Math.max(1, ...rows.flatMap(r => series.map(s => r[s] || 0)));
  const f = frame(container, rows, maxValue);
  for (const name of series) {
    let d = "", pen = false;
    rows.forEach((r, i) => {
      if (r[name] == null) { pen = false; return; }
      d += `${pen ? "L" : "M"}${f.x(i).toFixed(1)},${f.y(r[name]).toFixed(1)}`;
      pen = true;
    });
    if (d) f.root.append(svg("path", { d, fill: "none", stroke: COLORS[name], "stroke-width": 2, "data-series": name }));
    rows.forEach((r, i) => {  // a dot per sample: a lone minute has no line to draw
      if (r[name] != null) f.root.append(svg("circle", { cx: f.x(i), cy: f.y(r[name]), r: 2.5, fill: COLORS[name], "data-series": name }));
    });
  }
  container.replaceChildren(f.root, legend(series));
}

function barChart(container, rows, series) {
  const maxValue = Math.max(1, ...rows.map(r => series.reduce((t, s) => t + (r[s] || 0), 0)));
  const f = frame(container, rows, maxValue);
  rows.forEach((r, i) => {
    let base = 0;
    for (const name of series) {
      const v = r[name] || 0;
      if (!v) continue;
      const y0 = f.y(base), y1 = f.y(base + v);
      f.root.append(svg("rect", { x: f.x(i) - f.step * 0.4, width: f.step * 0.8, y: y1, height: Math.max(1, y0 - y1),
                                  fill: COLORS[name], "data-series": name }));
      base += v;
    }
  });
  container.replaceChildren(f.root, legend(series));
}

function renderHistory(payload) {
  const rows = payload.minutes || [];
  lineChart($("chart-depth"), rows, ["ready", "in_flight", "delayed", "dead"]);
  barChart($("chart-throughput"), rows, ["canonical", "duplicate", "failed"]);
}

async function loadArticles() {
  const q = $("search").value.trim();
  renderArticles(await api("/api/articles?limit=20&q=" + encodeURIComponent(q)));
}

let busy = false;
async function refresh() {
  if (busy) return;
  busy = true;
  try {
    const [status, history, dlq, failures, events] = await Promise.all([
      api("/api/status"), api("/api/history"), api("/api/dlq?limit=50"), api("/api/failures?limit=20"),
      api("/api/events?limit=8")]);
    renderStatus(status);
    if (status.health !== "unreachable") {
      renderHistory(history); renderDlq(dlq); renderFailures(failures); renderEvents(events);
      await loadArticles();
    }
    document.body.dataset.loaded = String(Date.now());
  } catch (e) {
    const badge = $("health");
    badge.dataset.health = "error";
    badge.textContent = "error";
    $("problems").replaceChildren(el("li", {}, e.message));
  } finally {
    busy = false;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  setText("interval", INTERVAL_S);
  let timer = null;
  $("search").addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => loadArticles().catch(() => {}), 250); });
  refresh();
  setInterval(refresh, INTERVAL_S * 1000);
});
