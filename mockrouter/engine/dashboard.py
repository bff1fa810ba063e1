"""The live dashboard at ``GET /__mockrouter/``: one self-contained HTML page (inline CSS and vanilla JS, no
external assets, so it works offline) that polls the admin API every 500 ms and shows the journal newest
first: each request's model, its provider attempts as a small timeline (which failed, why, who served),
status, latency, tokens, cost, and the accounts' credit.

Stable hooks for tests: ``#accounts`` (``.account[data-id]`` with ``.balance``), ``#verdict``,
``#requests`` with ``tr.request[data-id]`` rows whose cells carry ``data-testid``
(``id``, ``time``, ``route``, ``model``, ``provider``, ``status``, ``outcome``, ``latency``, ``ttft``,
``tokens``, ``cost``, ``attempts``), and inside the timeline ``.attempt`` boxes, ``.failed`` or ``.served``.
"""

from __future__ import annotations

__all__ = ["PAGE", "POLL_MS", "page"]

POLL_MS = 500

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mockrouter dashboard</title>
<link rel="icon" href="data:,">
<style>
  :root { --bg:#0f1115; --panel:#181b22; --line:#2a2f3a; --fg:#e6e6e6; --dim:#8b93a3;
          --ok:#2e9e5b; --warn:#d19a2a; --bad:#d0453f; --info:#3b7dd8; }
  * { box-sizing: border-box; }
  body { margin:0; background:var(--bg); color:var(--fg); font:13px/1.4 system-ui, sans-serif; }
  header { display:flex; flex-wrap:wrap; gap:16px; align-items:center; padding:10px 16px;
           background:var(--panel); border-bottom:1px solid var(--line); position:sticky; top:0; }
  h1 { font-size:15px; margin:0 8px 0 0; }
  .dim { color:var(--dim); }
  #accounts, #verdict { display:flex; gap:8px; flex-wrap:wrap; align-items:center; }
  .account, .pill { border:1px solid var(--line); border-radius:4px; padding:2px 8px; }
  .account .balance { font-weight:600; }
  .pill.ok { border-color:var(--ok); color:var(--ok); } .pill.bad { border-color:var(--bad); color:var(--bad); }
  table { border-collapse:collapse; width:100%; }
  th, td { text-align:left; padding:4px 8px; border-bottom:1px solid var(--line); vertical-align:top;
           white-space:nowrap; }
  th { color:var(--dim); font-weight:500; position:sticky; top:45px; background:var(--bg); }
  td.num { text-align:right; font-variant-numeric:tabular-nums; }
  .status { font-weight:600; }
  .s2xx { color:var(--ok); } .s4xx { color:var(--warn); } .s5xx { color:var(--bad); } .s0xx { color:var(--dim); }
  .timeline { display:flex; gap:4px; align-items:center; flex-wrap:nowrap; }
  .attempt { border:1px solid var(--line); border-radius:3px; padding:1px 5px; font-size:12px; max-width:260px; }
  .attempt.failed { border-color:var(--bad); background:rgba(208,69,63,.15); }
  .attempt.served { border-color:var(--ok); background:rgba(46,158,91,.18); }
  .attempt.planned { border-style:dashed; color:var(--dim); }
  .attempt .why { color:var(--dim); overflow:hidden; text-overflow:ellipsis; white-space:nowrap; display:block; }
  .arrow { color:var(--dim); }
  .err { color:var(--bad); white-space:normal; max-width:320px; }
  #empty { padding:24px 16px; }
</style>
</head>
<body>
<header>
  <h1>mockrouter</h1>
  <span class="dim">accounts</span><div id="accounts" data-testid="accounts"></div>
  <span class="dim">verdict</span><div id="verdict" data-testid="verdict">n/a</div>
  <span class="dim" id="meta" data-testid="meta"></span>
</header>
<table id="requests" data-testid="requests">
  <thead><tr><th>#</th><th>time</th><th>request</th><th>model</th><th>provider</th><th>status</th><th>outcome</th>
  <th>latency</th><th>TTFT</th><th>tokens</th><th>cost</th><th>attempts</th></tr></thead>
  <tbody id="rows"></tbody>
</table>
<div id="empty" class="dim">No requests yet.</div>
<script>
"use strict";
const BASE = location.pathname.replace(/[^/]*$/, "");
const POLL_MS = __POLL_MS__;

function el(tag, cls, text, attrs) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
  return node;
}
function cell(row, testid, text, cls) {
  const td = el("td", cls, text, {"data-testid": testid});
  row.appendChild(td);
  return td;
}
function ms(v) {
  if (v === null || v === undefined) return "";
  return v < 1000 ? v.toFixed(1) + " ms" : (v / 1000).toFixed(2) + " s";
}
function statusClass(s) { return "status s" + (s >= 200 && s < 600 ? String(s)[0] : "0") + "xx"; }
function short(text, n) { text = String(text || ""); return text.length > n ? text.slice(0, n - 1) + "\\u2026" : text; }

async function getJSON(name) {
  try {
    const r = await fetch(BASE + name, {cache: "no-store"});
    return r.ok ? await r.json() : null;
  } catch (e) { return null; }
}

function attemptBox(a, entry) {
  const served = a.status === 200;
  const failed = typeof a.status === "number" && a.status >= 400;
  const kind = served ? "served" : failed ? "failed" : "planned";
  const box = el("span", "attempt " + kind, null, {"data-provider": a.provider || "", "data-status": a.status,
                                                   "data-model": a.model || "", "data-testid": "attempt"});
  box.appendChild(el("b", "provider", a.provider || "?"));
  box.appendChild(document.createTextNode(" "));
  box.appendChild(el("span", "code", a.status));
  if (a.latency_ms !== undefined && a.latency_ms !== null) box.appendChild(el("span", "dim", " " + ms(a.latency_ms)));
  if (a.model && a.model !== entry.model) box.appendChild(el("span", "why", a.model));
  if (failed && a.error) { box.title = a.error; box.appendChild(el("span", "why error", short(a.error, 48))); }
  else box.title = (a.model || "") + " via " + (a.provider || "?") + (a.tag ? " (" + a.tag + ")" : "")
                   + (a.byok ? " BYOK" : "");
  return box;
}

function renderRow(e) {
  const tr = el("tr", "request", null, {"data-id": e.id, "id": "request-" + e.id, "data-status": e.status,
                                        "data-outcome": e.outcome, "data-testid": "request"});
  cell(tr, "id", e.id);
  cell(tr, "time", new Date(e.time * 1000).toLocaleTimeString());
  cell(tr, "route", e.method + " " + e.path + (e.stream ? " (stream)" : ""));
  const model = cell(tr, "model", e.model || "");
  if (e.served_model && e.served_model !== e.model) model.textContent += " \\u2192 " + e.served_model;
  model.setAttribute("data-served-model", e.served_model || "");
  cell(tr, "provider", e.provider || "");
  cell(tr, "status", e.status || "\\u2026", statusClass(e.status));
  const outcome = cell(tr, "outcome", e.outcome);
  if (e.error) outcome.appendChild(el("div", "err", short(e.error, 120), {"title": e.error, "data-testid": "error"}));
  cell(tr, "latency", ms(e.duration_ms), "num");
  cell(tr, "ttft", ms(e.ttft_ms), "num");
  const u = e.usage || {};
  const tin = u.prompt_tokens ?? u.input_tokens ?? 0, tout = u.completion_tokens ?? u.output_tokens ?? 0;
  const tokens = cell(tr, "tokens", e.usage ? tin + " / " + tout : "", "num");
  tokens.setAttribute("data-prompt", u.prompt_tokens ?? u.input_tokens ?? "");
  tokens.setAttribute("data-completion", u.completion_tokens ?? u.output_tokens ?? "");
  tokens.title = "prompt / completion";
  const cost = cell(tr, "cost", e.cost === null || e.cost === undefined ? "" : "$" + e.cost.toFixed(6), "num");
  cost.setAttribute("data-cost", e.cost ?? "");
  const tl = el("div", "timeline");
  (e.attempts || []).forEach((a, i) => {
    if (i) tl.appendChild(el("span", "arrow", "\\u2192"));
    tl.appendChild(attemptBox(a, e));
  });
  cell(tr, "attempts", null).appendChild(tl);
  return tr;
}

function renderAccounts(data) {
  const box = document.getElementById("accounts");
  box.replaceChildren();
  if (!data || !data.accounts) { box.textContent = "n/a"; return; }
  for (const a of data.accounts) {
    const span = el("span", "account", null, {"data-id": a.id, "data-balance": a.balance, "data-testid": "account"});
    span.appendChild(el("span", null, a.id + ": "));
    span.appendChild(el("span", "balance", "$" + Number(a.balance).toFixed(4)));
    const of = " of $" + Number(a.credits).toFixed(2) + " (used $" + Number(a.usage).toFixed(6) + ")";
    span.appendChild(el("span", "dim", of));
    box.appendChild(span);
  }
}

function renderVerdict(v) {
  const box = document.getElementById("verdict");
  box.replaceChildren();
  if (!v || typeof v.ok !== "boolean") { box.textContent = "n/a"; return; }
  const problems = v.problems || [];
  const pill = el("span", "pill " + (v.ok ? "ok" : "bad"), v.ok ? "ok" : problems.length + " problem(s)");
  pill.title = problems.join("\\n");
  box.appendChild(pill);
}

async function refresh() {
  const [reqs, accounts, verdict] = await Promise.all([getJSON("requests"), getJSON("accounts"), getJSON("verdict")]);
  if (reqs && reqs.requests) {
    const rows = document.getElementById("rows");
    rows.replaceChildren(...reqs.requests.slice().reverse().map(renderRow));
    document.getElementById("empty").style.display = reqs.requests.length ? "none" : "";
    const when = new Date().toLocaleTimeString();
    document.getElementById("meta").textContent = reqs.total + " request(s), updated " + when;
  } else {
    document.getElementById("meta").textContent = "journal unavailable";
  }
  renderAccounts(accounts);
  renderVerdict(verdict);
  document.body.setAttribute("data-polls", String(Number(document.body.getAttribute("data-polls") || 0) + 1));
}

async function loop() {
  try { await refresh(); } finally { setTimeout(loop, POLL_MS); }
}
loop();
</script>
</body>
</html>
"""


def page() -> str:
    """The dashboard HTML (self-contained: no external assets)."""
    return PAGE.replace("__POLL_MS__", str(POLL_MS))
