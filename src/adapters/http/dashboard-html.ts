/**
 * HTML of the dashboard pages: the journey map and the contact page. Plain server-rendered
 * HTML with a few lines of script for live updates (no build step, no CDN); every dynamic
 * value is escaped. Numbers carry `data-k` attributes so tests and scripts can read them.
 */
import type { JournalRecord } from "../../core/index.js";
import type { JourneyCard } from "./dashboard-data.js";
import { esc } from "./html.js";
import type { ContactView } from "./views.js";


const pct = (x: number | null) => (x === null ? "–" : `${(x * 100).toFixed(1)}%`);
const int = (x: number) => x.toLocaleString("en-US");

/** A duration in words: 45 s, 12 min, 3.5 h, 2.1 d. */
export function human(ms: number | null): string {
  if (ms === null) return "–";
  if (ms < 1_000) return "< 1 s";
  if (ms < 60_000) return `${Math.round(ms / 1_000)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 86_400_000) return `${(ms / 3_600_000).toFixed(1)} h`;
  return `${(ms / 86_400_000).toFixed(1)} d`;
}

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#111827;background:#f9fafb}
header{background:#1e3a8a;color:#fff;padding:.75rem 1.5rem;display:flex;gap:1.5rem;align-items:center;flex-wrap:wrap}
header a{color:#fff}header h1{font-size:1.2rem;margin:0}main{padding:1rem 1.5rem;max-width:80rem}
section{background:#fff;border:1px solid #d1d5db;border-radius:.4rem;padding:1rem;margin-bottom:1.25rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{text-align:right;padding:.3rem .6rem;border-bottom:1px solid #e5e7eb}
th:first-child,td:first-child{text-align:left}caption{text-align:left;font-weight:600;padding:.3rem 0}
.kpis{display:flex;gap:1.5rem;flex-wrap:wrap;margin:.3rem 0}.kpis div{min-width:8rem}.kpis b{display:block;font-size:1.3rem}
a{color:#1d4ed8}:focus-visible{outline:3px solid #b45309;outline-offset:2px}
input,button{font:inherit;padding:.35rem .6rem}button{background:#1d4ed8;color:#fff;border:0;border-radius:.3rem;cursor:pointer}
.muted{color:#4b5563}ol.timeline{list-style:none;padding:0}ol.timeline li{border-left:3px solid #93c5fd;padding:.2rem .8rem;margin:.2rem 0}`;

/** The page frame with navigation and the contact search. */
export function layout(title: string, body: string, opts: { live?: string } = {}): string {
  const live = opts.live
    ? `<script>setInterval(async()=>{try{const r=await fetch(${JSON.stringify(opts.live)},{headers:{accept:"text/html"}});if(r.ok){document.getElementById("live").innerHTML=await r.text();document.getElementById("updated").textContent=new Date().toLocaleTimeString()}}catch{}},5000)</script>`
    : "";
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · Waymark</title><style>${STYLE}</style></head><body>
<header><h1>Waymark</h1><nav aria-label="Main"><a href="/dashboard">Journeys</a> · <a href="/admin/queues">Queues</a></nav>
<form role="search" action="/dashboard/contacts" method="get"><label for="q">Find a contact</label>
<input id="q" name="q" type="search" placeholder="id or email" required> <button type="submit">Find</button></form></header>
<main>${body}</main>${live}</body></html>`;
}

/**
 * The live part of the journey map (re-fetched every 5 s): the workspace's totals when
 * given (the page of every journey), then a card per journey, its heading a link to the
 * journey's own page when `linked`.
 */
export function journeyMap(cards: JourneyCard[], totals: { openHandoffs: number; breachedHandoffs: number; deadLetters: number } | null, rangeLabel = "since deployment", linked = true): string {
  const top = totals === null ? "" : `<div class="kpis" aria-label="Totals"><div>Hand-offs open<b data-k="open-handoffs">${int(totals.openHandoffs)}</b></div>
<div>Hand-offs breached, unresolved<b data-k="breached-handoffs">${int(totals.breachedHandoffs)}</b></div>
<div>Dead letters<b data-k="dead-letters">${int(totals.deadLetters)}</b></div></div>`;
  return top + cards.map((j) => `<section aria-labelledby="j-${esc(j.id)}" data-journey="${esc(j.id)}">
<h2 id="j-${esc(j.id)}">${linked ? `<a href="/dashboard/journeys/${encodeURIComponent(j.id)}">${esc(j.name)}</a>` : esc(j.name)} <span class="muted">(${esc(j.id)})</span></h2>
<div class="kpis"><div>Entered<b data-k="entered">${int(j.entered)}</b></div><div>Goals<b data-k="goals">${int(j.goals)}</b></div>
<div>Goal rate<b>${pct(j.goalRate)}</b></div><div>Emails sent<b data-k="emails-sent">${int(j.emails.sent)}</b></div>
<div>suppressed / deferred / failed<b>${int(j.emails.suppressed)} / ${int(j.emails.deferred)} / ${int(j.emails.failed)}</b></div>
<div>Hand-offs opened / breached<b>${int(j.handoffs.opened)} / ${int(j.handoffs.breached)}</b></div><div>SLA met<b data-k="sla">${pct(j.handoffs.slaAttainment)}</b></div></div>
<table><caption>Funnel by stage (${esc(rangeLabel)})</caption><thead><tr><th scope="col">Stage</th><th scope="col">Now</th><th scope="col">Entered</th>
<th scope="col">To next stage</th><th scope="col">Converted (goal)</th><th scope="col">Dropped out</th><th scope="col">Median time in stage</th><th scope="col">Stalled now</th></tr></thead><tbody>
${j.stages.map((s) => `<tr data-stage="${esc(s.stage)}"><th scope="row">${esc(s.stage)}</th><td data-k="now">${int(s.now)}</td><td data-k="entered">${int(s.entered)}</td>
<td>${pct(s.toNext)}</td><td data-k="converted">${int(s.converted)}</td><td>${int(s.dropped)}</td><td>${human(s.medianMsInStage)}</td>
<td data-k="stalled" title="in the stage for more than ${human(s.stalledAfterMs)}">${s.stalled === null ? "–" : int(s.stalled)} <span class="muted">(&gt; ${human(s.stalledAfterMs)})</span></td></tr>`).join("\n")}
</tbody></table>
${Object.keys(j.segments).length ? `<table><caption>Segments (contacts now)</caption><tbody>${Object.entries(j.segments).map(([g, v]) => `<tr><th scope="row">${esc(g)}</th><td data-k="segment-${esc(g)}">${int(v)}</td></tr>`).join("")}</tbody></table>` : ""}
${j.attribution.model ? `<table><caption>Goal credit by channel (${esc(j.attribution.model)})</caption><tbody>${Object.entries(j.attribution.credits).sort((a, b) => b[1] - a[1]).map(([c, v]) => `<tr><th scope="row">${esc(c)}</th><td>${v.toFixed(2)}</td><td>${pct(j.goals ? v / j.goals : null)}</td></tr>`).join("") || `<tr><td class="muted">no attributed goals yet</td></tr>`}</tbody></table>` : ""}
</section>`).join("\n");
}

/** An open hand-off on the contact page. */
export type OpenHandoffRow = { id: string; journey: string; team: string; owner?: string; dueAt: string; breached: boolean };

/** The contact page. */
export function contactPage(v: ContactView, journal: JournalRecord[], handoffs: OpenHandoffRow[]): string {
  const journeys = Object.entries(v.journeys).map(([id, j]) => `<tr><th scope="row">${esc(id)}</th><td>${esc(j.stage ?? "–")}</td>
<td>${esc(j.segments.join(", ") || "–")}</td><td>${j.score}</td><td>${j.active ? "active" : `ended ${esc(j.endedAt ?? "")}`}</td></tr>`).join("");
  const acks = handoffs.map((h) => `<li>${esc(h.team)}${h.owner ? ` (${esc(h.owner)})` : ""} in ${esc(h.journey)}, due ${esc(h.dueAt)}${h.breached ? " <strong>breached</strong>" : ""}
<form method="post" action="/dashboard/contacts/${encodeURIComponent(v.id)}/handoffs/${encodeURIComponent(h.id)}/ack" style="display:inline"> <button type="submit" aria-label="Acknowledge the ${esc(h.team)} hand-off">Acknowledge</button></form></li>`).join("");
  const timeline = [...journal].reverse().map((r) => {
    const { at, type, contact: _c, journey, ...rest } = r;
    return `<li><time datetime="${esc(at)}">${esc(at)}</time> <strong>${esc(type)}</strong>${journey ? ` <span class="muted">${esc(journey)}</span>` : ""} ${esc(JSON.stringify(rest))}</li>`;
  }).join("");
  return `<h2>Contact ${esc(v.id)}</h2>
<section aria-labelledby="h-traits"><h3 id="h-traits">Traits</h3><pre>${esc(JSON.stringify(v.traits, null, 2))}</pre></section>
<section aria-labelledby="h-journeys"><h3 id="h-journeys">Journeys</h3><table><thead><tr><th scope="col">Journey</th><th scope="col">Stage</th><th scope="col">Segments</th><th scope="col">Score</th><th scope="col">Run</th></tr></thead><tbody>${journeys}</tbody></table></section>
<section aria-labelledby="h-handoffs"><h3 id="h-handoffs">Open hand-offs</h3>${acks ? `<ul>${acks}</ul>` : `<p class="muted">none</p>`}</section>
<section aria-labelledby="h-journal"><h3 id="h-journal">Timeline (newest first)</h3><ol class="timeline">${timeline}</ol></section>`;
}
