import { html, type Html } from "./html.js";
import { when } from "./when.js";

/** One source as the agents page shows it. */
export interface AgentRow {
  readonly source: string;
  /** The agent's account ("" for senders without one, e.g. UDP or HTTP). */
  readonly owner: string;
  /** Since when its presence is gone (null: there, or never had one). */
  readonly downSince: number | null;
  readonly firstSeenAt: number;
  readonly lastSeenAt: number;
  readonly lastSequence: string;
  /** Whether AlertBot has a host-down alert raised for it now. */
  readonly hostDown: boolean;
  readonly raised: number;
  /** When it last sent its full state (since the bot started), or null. */
  readonly lastFullAt: number | null;
  /** Its agent's last presence status line ("2 raised: disk-full, load; outbox 12"), or null. */
  readonly status: string | null;
}

/** The backlog an agent reports in its status line ("; outbox 12"): updates waiting for the server. */
export function reportedBacklog(status: string | null): number | null {
  if (status === null) return null;
  const m = /;\s*outbox (\d+)/.exec(status);
  return m === null ? 0 : Number(m[1]);
}

/** The agents' <main>: every source, its presence, last update, host-down state and raises. */
export function agentsMain(rows: readonly AgentRow[], now: number): Html {
  const presence = (r: AgentRow): Html =>
    r.owner === ""
      ? html`<span class="muted">no account (udp/http)</span>`
      : r.downSince === null
        ? html`<span class="online">online</span>`
        : html`<span class="offline">offline</span> since ${when(r.downSince, now)}`;
  return html`<main>
    <h1>Agents</h1>
    <p class="muted">
      ${rows.length} source${rows.length === 1 ? "" : "s"};
      ${rows.filter((r) => r.owner !== "" && r.downSince !== null).length} offline,
      ${rows.filter((r) => r.hostDown).length} host-down.
    </p>
    <table class="agents">
      <thead>
        <tr>
          <th>Source</th>
          <th>Agent</th>
          <th>Presence</th>
          <th>Last update</th>
          <th>Last full state</th>
          <th>Sequence</th>
          <th>Backlog reported</th>
          <th>Status line</th>
          <th>Host down</th>
          <th>Raised now</th>
          <th>Raises, 24 hours</th>
        </tr>
      </thead>
      <tbody>
        ${rows.map(
          (r) =>
            html`<tr data-source="${r.source}">
              <td><a href="/?source=${encodeURIComponent(r.source)}">${r.source}</a></td>
              <td>${r.owner}</td>
              <td>${presence(r)}</td>
              <td>${when(r.lastSeenAt, now)}</td>
              <td>
                ${r.lastFullAt === null ? html`<span class="muted">not since start</span>` : when(r.lastFullAt, now)}
              </td>
              <td class="num">${r.lastSequence}</td>
              <td class="num">${reportedBacklog(r.status) ?? html`<span class="muted">—</span>`}</td>
              <td>${r.status ?? html`<span class="muted">—</span>`}</td>
              <td>
                ${r.hostDown ? html`<span class="offline">host down</span>` : html`<span class="muted">no</span>`}
              </td>
              <td class="num">${r.raised}</td>
              <td>
                <img
                  src="/chart.svg?span=24h&amp;source=${encodeURIComponent(r.source)}&amp;small=1"
                  width="240"
                  height="60"
                  alt="raises of ${r.source} over 24 hours"
                />
              </td>
            </tr>`,
        )}
      </tbody>
    </table>
  </main>`;
}
