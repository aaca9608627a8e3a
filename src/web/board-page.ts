import { quotedSubject, type AlertRecord } from "../alerts/types.js";
import type { BotTrouble } from "../commands/types.js";
import { LEVELS } from "../policy/types.js";
import { BOARD_SORTS, BOARD_STATES, type BoardQuery, type BoardView } from "./board-rows.js";
import { html, type Html } from "./html.js";
import { csrfField, type Viewer } from "./layout.js";
import { when } from "./when.js";

/** The board's query string with some parameters changed (for links that keep the filters). */
export function boardLink(q: BoardQuery, change: Partial<Record<keyof BoardQuery, string | number>>): string {
  const params = new URLSearchParams();
  const merged = { ...q, ...change } as Record<string, string | number>;
  const defaults: Record<string, string | number> = {
    state: "open",
    source: "",
    workgroup: "",
    level: "",
    sort: "urgency",
    page: 1,
  };
  for (const key of Object.keys(defaults))
    if (String(merged[key]) !== String(defaults[key])) params.set(key, String(merged[key]));
  const text = params.toString();
  return text === "" ? "/" : `/?${text}`;
}

/**
 * An alert's summary on the board, then its sender's subject marked as the sender's words when it
 * says more than the source: a subject alone in this column ("web1") read as another source's alert.
 */
function summaryCell(alert: AlertRecord): Html {
  const subject = quotedSubject(alert);
  if (subject === null) return html`${alert.summary}`;
  return html`${alert.summary}${alert.summary === "" ? "" : " "}<span class="muted">(subject ${subject})</span>`;
}

/**
 * The board's <main>: AlertBot's own trouble first (what no alert records), then counts, charts,
 * filters, and one page of alerts with a quick ack each.
 */
export function boardMain(
  view: BoardView,
  q: BoardQuery,
  viewer: Viewer,
  now: number,
  flash: string | null,
  troubles: readonly BotTrouble[] = [],
): Html {
  const c = view.counts;
  const count = (label: string, n: number, state: string): Html =>
    html`<a href="${boardLink(q, { state, page: 1 })}" data-count="${state}"><b>${n}</b>${label}</a>`;
  const option = (value: string, label: string, selected: string): Html =>
    value === selected
      ? html`<option value="${value}" selected>${label}</option>`
      : html`<option value="${value}">${label}</option>`;
  const sortHeader = (label: string, sort: string): Html =>
    q.sort === sort
      ? html`<th>${label} ▾</th>`
      : html`<th><a href="${boardLink(q, { sort, page: 1 })}">${label}</a></th>`;
  const rows = view.rows.map(
    (r) =>
      html`<tr data-alert="${r.alert.shortId}" data-state="${r.state}">
        <td class="num"><a href="/alert?id=${r.alert.shortId}">#${r.alert.shortId}</a></td>
        <td class="level level-${r.level}">${r.level}</td>
        <td>${r.workgroup}</td>
        <td>${r.alert.source}</td>
        <td><a href="/alert?id=${r.alert.shortId}">${r.alert.alertId}</a></td>
        <td>${summaryCell(r.alert)}</td>
        <td>
          <span class="state state-${r.state}">${r.state}</span>${
            r.state === "acked" && r.alert.ack ? html` <span class="muted">by ${r.alert.ack.by}</span>` : ""
          }
        </td>
        <td>${when(r.state === "scheduled" ? r.alert.scheduledRaiseAt : r.alert.raisedAt, now)}</td>
        <td class="actions">
          ${
            r.state === "raised" || r.state === "silenced"
              ? html`<form method="post" action="/action">
                  ${csrfField(viewer)}<input type="hidden" name="op" value="ack" /><input
                    type="hidden"
                    name="id"
                    value="${r.alert.shortId}"
                  /><input type="hidden" name="back" value="${boardLink(q, {})}" /><button
                    type="submit"
                    data-ack="${r.alert.shortId}"
                  >
                    Ack
                  </button>
                </form>`
              : ""
          }
        </td>
      </tr>`,
  );
  const pager =
    view.pages > 1
      ? html`<div class="pages">
          ${q.page > 1 ? html`<a href="${boardLink(q, { page: q.page - 1 })}">← newer page</a>` : ""}<span
            >page ${Math.min(q.page, view.pages)} of ${view.pages}</span
          >${q.page < view.pages ? html`<a href="${boardLink(q, { page: q.page + 1 })}">next page →</a>` : ""}
        </div>`
      : "";
  return html`<main>
    ${troubles.map((t) => html`<div class="trouble" role="alert">⚠ ${t.text} (since ${when(t.since, now)})</div>`)}
    ${flash === null ? "" : html`<div class="flash" role="status">${flash}</div>`}
    <div class="counts">
      ${count("raised", c.raised, "raised")}${count("acked", c.acked, "acked")}${count("silenced", c.silenced, "silenced")}${count("scheduled", c.scheduled, "scheduled")}
      <a href="${boardLink(q, { level: "urgent", page: 1 })}"><b class="level-urgent">${c.levels.urgent}</b>urgent</a>
      <a href="${boardLink(q, { level: "normal", page: 1 })}"><b class="level-normal">${c.levels.normal}</b>normal</a>
      <a href="${boardLink(q, { level: "low", page: 1 })}"><b class="level-low">${c.levels.low}</b>low</a>
    </div>
    <div class="charts">
      <figure>
        <img
          src="/chart.svg?span=24h"
          width="460"
          height="140"
          alt="raises per hour over the last 24 hours, by source"
        />
        <figcaption>Raises, last 24 hours (per hour, top sources)</figcaption>
      </figure>
      <figure>
        <img
          src="/chart.svg?span=7d"
          width="460"
          height="140"
          alt="raises per 6 hours over the last 7 days, by source"
        />
        <figcaption>Raises, last 7 days (per 6 hours)</figcaption>
      </figure>
    </div>
    <form class="filters" method="get" action="/">
      <label
        >Show<select name="state">
          ${BOARD_STATES.map((s) => option(s, s === "open" ? "open (raised, acked, silenced)" : s, q.state))}
        </select></label
      >
      <label>Source contains<input name="source" value="${q.source}" list="sources" size="16" /></label>
      <datalist id="sources">${view.sources.map((s) => html`<option value="${s}"></option>`)}</datalist>
      <label
        >Workgroup<select name="workgroup">
          ${option("", "any", q.workgroup)}${view.workgroups.map((w) => option(w, w, q.workgroup))}
        </select></label
      >
      <label
        >Level<select name="level">
          ${option("", "any", q.level)}${LEVELS.map((l) => option(l, l, q.level))}
        </select></label
      >
      <label
        >Sort<select name="sort">
          ${BOARD_SORTS.map((s) => option(s, s, q.sort))}
        </select></label
      >
      <button type="submit">Filter</button> <a href="/">reset</a>
    </form>
    <p class="muted">${view.matching} alert${view.matching === 1 ? "" : "s"} shown by these filters.</p>
    <table class="alerts">
      <thead>
        <tr>
          ${sortHeader("#", "id")}
          <th>Level</th>
          ${sortHeader("Workgroup", "workgroup")}${sortHeader("Source", "source")}
          <th>Alert</th>
          <th>Summary</th>
          <th>State</th>
          ${sortHeader("Raised", "newest")}
          <th></th>
        </tr>
      </thead>
      <tbody>
        ${rows}
      </tbody>
    </table>
    ${pager}
  </main>`;
}
