// corpus monitor: what the dashboard and the article page share (loaded first by both).
"use strict";

let asked = false;

function $(id) { return document.getElementById(id); }

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v; else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(c == null ? "" : String(c)));
  return node;
}

function age(seconds) {
  if (seconds == null) return "–";
  if (seconds < 120) return `${Math.round(seconds)}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  if (seconds < 172800) return `${(seconds / 3600).toFixed(1)}h`;
  return `${(seconds / 86400).toFixed(1)}d`;
}

function when(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return isNaN(d) ? iso : age((Date.now() - d.getTime()) / 1000) + " ago";
}

function toast(text, isError) {
  const t = $("toast");
  t.textContent = text;
  t.className = "toast" + (isError ? " error" : "");
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.textContent = ""; }, 8000);
}

// Token: the cookie set by /?token=... or one typed once and kept in sessionStorage.
function askToken() {
  const value = window.prompt("This needs the monitor's token (CORPUS_API_TOKEN):");
  if (value) sessionStorage.setItem("corpusToken", value.trim());
  return Boolean(value);
}

async function api(path, options = {}, retry = true) {
  const headers = { "Accept": "application/json" };
  const token = sessionStorage.getItem("corpusToken");
  if (token) headers["Authorization"] = "Bearer " + token;
  const response = await fetch(path, { credentials: "same-origin", ...options, headers });
  if (response.status === 401 && retry && (options.method === "POST" || !asked)) {
    asked = true;
    if (askToken()) return api(path, options, false);
  }
  let body = null;
  try { body = await response.json(); } catch (e) { body = null; }
  if (!response.ok && response.status !== 503) {
    throw new Error((body && body.error) || `${response.status} ${response.statusText}`);
  }
  return body || {};
}

function setText(id, value) { $(id).textContent = value == null ? "–" : String(value); }

function fillTable(id, rows, makeRow) {
  const body = $(id).querySelector("tbody");
  body.replaceChildren(...rows.map(makeRow));
  const empty = $(id + "-empty");
  if (empty) empty.style.display = rows.length ? "none" : "";
  $(id).style.display = rows.length ? "" : "none";
}

function link(href, text, attrs) { return el("a", { href, ...(attrs || {}) }, text); }

function articleLink(id, title, source) {
  return link(`/article?ref=${encodeURIComponent(id)}`, title || "(untitled) " + (source || id),
              { class: "article-link", "data-article": id, title: source || "" });
}
