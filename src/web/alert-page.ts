import { quotedSubject, type AlertRecord } from "../alerts/types.js";
import { sanitiseHtml } from "../codec/html.js";
import { hasLiveAck } from "../commands/format.js";
import { exactMatcher, formatMatcher } from "../commands/silence-matcher.js";
import type { SilenceRecord } from "../commands/types.js";
import type { Level } from "../policy/types.js";
import { formatDuration } from "../util/duration.js";
import type { BoardState } from "./board-rows.js";
import { alertTimeline } from "./charts.js";
import { html, trusted, type Html } from "./html.js";
import { csrfField, type Viewer } from "./layout.js";
import { when } from "./when.js";

/** Everything the alert page shows about one alert. */
export interface AlertFacts {
  readonly alert: AlertRecord;
  readonly level: Level;
  readonly workgroup: string;
  readonly state: BoardState | "cleared";
  readonly history: ReadonlyArray<{ kind: string; at: number; actor: string; detail: string }>;
  /** Notices kept in the outbox: to whom, on which channels, how it went. */
  readonly deliveries: ReadonlyArray<{
    person: string;
    channels: readonly string[];
    kind: string;
    status: string;
    at: number;
  }>;
  readonly silences: readonly SilenceRecord[];
}

/** One alert's <main>: facts, detail, timeline, history, who was told, and the actions. */
export function alertMain(f: AlertFacts, viewer: Viewer, now: number, flash: string | null): Html {
  const a = f.alert;
  const back = `/alert?id=${a.shortId}`;
  const form = (op: string, label: string, fields: Html | string = ""): Html =>
    html`<form class="act" method="post" action="/action">
      ${csrfField(viewer)}<input type="hidden" name="op" value="${op}" /><input
        type="hidden"
        name="id"
        value="${a.shortId}"
      /><input type="hidden" name="back" value="${back}" />
      <fieldset>${fields}<button type="submit" data-op="${op}">${label}</button></fieldset>
    </form>`;
  const note = (placeholder: string): Html =>
    html`<label>Note <input name="note" size="30" maxlength="500" placeholder="${placeholder}" /></label>`;
  const facts: Html[] = [
    html`<dt>State</dt>
      <dd><span class="state state-${f.state}">${f.state}</span></dd>`,
    html`<dt>Level</dt>
      <dd class="level level-${f.level}">${f.level} (workgroup ${f.workgroup})</dd>`,
    html`<dt>Source</dt>
      <dd data-fact="source">${a.source}</dd>`,
    html`<dt>Alert id</dt>
      <dd data-fact="alert-id">${a.alertId}</dd>`,
    html`<dt>Importance</dt>
      <dd>${a.importance}</dd>`,
  ];
  // The subject is the sender's own words (any sender may write "web1" there): shown whole, quoted
  // and labelled as such, and never the source standing in for a subject that was not sent.
  const subject = quotedSubject(a, Number.POSITIVE_INFINITY);
  if (subject !== null)
    facts.push(
      html`<dt>Subject, as its sender wrote it</dt>
        <dd data-fact="subject">${subject}</dd>`,
    );
  facts.push(
    html`<dt>Summary</dt>
      <dd>${a.summary}</dd>`,
    html`<dt>Raised</dt>
      <dd>${when(a.raisedAt, now)}</dd>`,
  );
  if (a.status === "cleared")
    facts.push(
      html`<dt>Cleared</dt>
        <dd>${when(a.clearedAt, now)}</dd>`,
    );
  if (hasLiveAck(a, now) && a.ack)
    facts.push(
      html`<dt>Acked</dt>
        <dd>by ${a.ack.by} until ${when(a.ack.until, now)}${a.ack.note ? html` — “${a.ack.note}”` : ""}</dd>`,
    );
  for (const s of f.silences)
    facts.push(
      html`<dt>Silenced</dt>
        <dd>
          for ${formatDuration(s.until - now)} more by silence #${s.id} (${formatMatcher(s.matcher)}, set by ${s.by})
        </dd>`,
    );
  if (a.suppressUntil !== null && a.suppressUntil > now)
    facts.push(
      html`<dt>Held back</dt>
        <dd>by its sender until ${when(a.suppressUntil, now)}</dd>`,
    );
  if (a.scheduledRaiseAt !== null)
    facts.push(
      html`<dt>Will raise</dt>
        <dd>${when(a.scheduledRaiseAt, now)}</dd>`,
    );
  if (a.scheduledClearAt !== null)
    facts.push(
      html`<dt>Will clear</dt>
        <dd>${when(a.scheduledClearAt, now)}</dd>`,
    );
  const raised = a.status === "raised";
  const acked = hasLiveAck(a, now);
  const actions: Html[] = [];
  if (raised && !acked)
    actions.push(
      form(
        "ack",
        "Ack",
        html`<label>For <input name="duration" size="8" placeholder="1h" maxlength="40" /></label>${note("because…")}`,
      ),
    );
  if (acked) actions.push(form("unack", "Unack", note("because…")));
  if (raised) actions.push(form("escalate", "Escalate now"));
  if (raised) actions.push(form("clear", "Clear by hand", note("because…")));
  actions.push(
    form("note", "Add note", html`<label>Note <input name="note" size="40" maxlength="500" required /></label>`),
  );
  actions.push(
    html`<form class="act" method="post" action="/action">
      ${csrfField(viewer)}<input type="hidden" name="op" value="silence" /><input
        type="hidden"
        name="back"
        value="${back}"
      />
      <fieldset>
        <label>Silence matching <input name="matcher" size="34" value="${formatMatcher(exactMatcher(a))}" /></label
        ><label>for <input name="duration" size="6" value="2h" required /></label>${note("because…")}<button
          type="submit"
          data-op="silence"
        >
          Silence
        </button>
      </fieldset>
    </form>`,
  );
  return html`<main>
    ${flash === null ? "" : html`<div class="flash" role="status">${flash}</div>`}
    <h1>#${a.shortId} ${a.source} ${a.alertId}</h1>
    <dl class="facts">${facts}</dl>
    <h2>Act</h2>
    ${actions}
    <h2>Timeline</h2>
    ${trusted(
      alertTimeline(
        f.history.map((h) => ({ kind: h.kind, at: h.at, label: `${h.actor} ${h.detail}` })),
        now,
      ),
    )}
    <h2>Detail</h2>
    <div class="detail">${a.detail ? trusted(sanitiseHtml(a.detail)) : html`<span class="muted">none sent</span>`}</div>
    <h2>Who was told</h2>
    ${
      f.deliveries.length === 0
        ? html`<p class="muted">Nobody yet (or the outbox has been pruned; the history below keeps every notice).</p>`
        : html`<table>
            <thead>
              <tr>
                <th>Person</th>
                <th>Notice</th>
                <th>Channels</th>
                <th>Outcome</th>
                <th>When</th>
              </tr>
            </thead>
            <tbody>
              ${f.deliveries.map(
                (d) =>
                  html`<tr>
                    <td>${d.person}</td>
                    <td>${d.kind}</td>
                    <td>${d.channels.join(", ")}</td>
                    <td>${d.status}</td>
                    <td>${when(d.at, now)}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`
    }
    <h2>History</h2>
    <table class="history">
      <thead>
        <tr>
          <th>When</th>
          <th>What</th>
          <th>By</th>
          <th>Detail</th>
        </tr>
      </thead>
      <tbody>
        ${f.history.map(
          (h) =>
            html`<tr>
              <td>${when(h.at, now)}</td>
              <td>${h.kind}</td>
              <td>${h.actor}</td>
              <td>${h.detail}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </main>`;
}
