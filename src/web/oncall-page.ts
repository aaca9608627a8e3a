import type { Presence } from "../policy/delivery.js";
import { formatInZone } from "../policy/zoned-time.js";
import { formatDuration } from "../util/duration.js";
import { html, type Html } from "./html.js";
import type { WorkgroupRota } from "./rota.js";
import { when } from "./when.js";

/** The on-call <main>: per workgroup, who answers now, who is next and when, and the week's rota. */
export function onCallMain(rotas: readonly WorkgroupRota[], presence: (name: string) => Presence, now: number): Html {
  const person = (name: string | null): Html =>
    name === null
      ? html`<i class="muted">nobody</i>`
      : html`<b>${name}</b> <span class="muted">(${presence(name)})</span>`;
  return html`<main>
    <h1>On call</h1>
    ${rotas.map(
      (r) =>
        html`<section data-workgroup="${r.workgroup}">
          <h2>${r.workgroup} <span class="muted">(${r.timezone})</span></h2>
          <p>
            Now:
            ${r.now.length === 0 ? person(null) : r.now.map((n, i) => html`${i === 0 ? "" : i === 1 ? ", then " : ", "}${person(n)}`)}
          </p>
          <p>
            Next:
            ${r.next === null ? html`<span class="muted">no change in the coming week</span>` : html`${person(r.next.person)} from ${formatInZone(r.next.at, r.timezone)} (${when(r.next.at, now)})`}
          </p>
          <table>
            <thead>
              <tr>
                <th>From</th>
                <th>Until</th>
                <th>First on call</th>
                <th>For</th>
              </tr>
            </thead>
            <tbody>
              ${r.spans.map(
                (s) =>
                  html`<tr>
                    <td>${formatInZone(s.from, r.timezone)}</td>
                    <td>${formatInZone(s.until, r.timezone)}</td>
                    <td>${person(s.person)}</td>
                    <td>${formatDuration(s.until - s.from)}</td>
                  </tr>`,
              )}
            </tbody>
          </table>
        </section>`,
    )}
  </main>`;
}
