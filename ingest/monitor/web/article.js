// corpus monitor: one article, its copies and the evidence for each (GET /api/article?ref=).
"use strict";
// Needs common.js (el, api, link, ...).

function percent(x) { return x == null ? "–" : `${(100 * x).toFixed(1)} %`; }

function sourceLink(source) {
  return /^https?:\/\//.test(source || "") ? link(source, source, { rel: "noreferrer noopener" }) : (source || "");
}

function facts(pairs) {
  return el("dl", { class: "facts" }, ...pairs.flatMap(([term, value, cls]) => [el("dt", {}, term),
    el("dd", cls ? { class: cls } : {}, value)]));
}

function renderCopy(c) {
  const s = c.shingles || {};
  const passages = (c.shared_passages || []).map(p => el("li", {}, el("span", { class: "muted" }, `${p.words} words: `),
    el("q", {}, p.text)));
  const matches = (c.matches || []).map(m => el("li", {}, `${m.kind} ${m.similarity} with ${m.with}`));
  return el("article", { class: "copy", "data-document": c.document_id },
    el("h3", {}, sourceLink(c.source)),
    facts([
      ["rule", c.rule, "rule"],
      ["kind", c.kind, "kind"],
      ["estimated similarity", c.estimated_similarity, "estimated"],
      ["exact Jaccard", c.exact_jaccard, "jaccard"],
      ["exact containment", c.exact_containment, "containment"],
      ["shingles shared", `${s.shared} of ${s.canonical} (article) and ${s.copy} (copy)`],
      ["site", c.site || "–"],
      ["document", c.document_id],
    ]),
    el("h4", {}, `Shared passages (${passages.length})`),
    passages.length ? el("ol", { class: "passages" }, ...passages) : el("p", { class: "muted" }, "none"),
    matches.length ? el("h4", {}, "Verified matches") : "",
    matches.length ? el("ul", { class: "matches" }, ...matches) : "");
}

function render(a) {
  document.title = `${a.title || a.source} · corpus monitor`;
  setText("article-title", a.title || "(untitled)");
  setText("article-id", a.id);
  $("article-source").replaceChildren(sourceLink(a.source));
  setText("article-site", (a.metadata || {}).site || "–");
  setText("article-published", (a.metadata || {}).published || "–");
  setText("article-event", a.event ? `#${a.event.id} (${a.event.size} ${a.event.size === 1 ? "story" : "stories"})` : "–");
  setText("article-copies", a.copies.length);
  setText("article-text", a.text || "");
  $("copies").replaceChildren(...a.copies.map(renderCopy));
  $("copies-empty").style.display = a.copies.length ? "none" : "";
}

document.addEventListener("DOMContentLoaded", async () => {
  const ref = new URLSearchParams(location.search).get("ref") || "";
  const path = "/api/article?ref=" + encodeURIComponent(ref);
  $("json").href = path;
  try {
    render(await api(path));
  } catch (e) {
    setText("article-title", "not found");
    $("problems").replaceChildren(el("li", {}, e.message));
  }
  document.body.dataset.loaded = String(Date.now());
});
