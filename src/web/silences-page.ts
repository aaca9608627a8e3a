import { formatMatcher } from "../commands/silence-matcher.js";
import type { SilenceRecord } from "../commands/types.js";
import { html, type Html } from "./html.js";
import { csrfField, type Viewer } from "./layout.js";
import { when } from "./when.js";

/** The silences' <main>: those in force, each with an unsilence button, and a form for a new one. */
export function silencesMain(
  silences: readonly SilenceRecord[],
  viewer: Viewer,
  now: number,
  flash: string | null,
): Html {
  return html`<main>
    ${flash === null ? "" : html`<div class="flash" role="status">${flash}</div>`}
    <h1>Silences in force</h1>
    ${
      silences.length === 0
        ? html`<p class="muted">None.</p>`
        : html`<table>
            <thead>
              <tr>
                <th>#</th>
                <th>Matching</th>
                <th>Until</th>
                <th>Set by</th>
                <th>Why</th>
                <th></th>
              </tr>
            </thead>
            <tbody>
              ${silences.map(
                (s) =>
                  html`<tr data-silence="${s.id}">
                    <td class="num">${s.id}</td>
                    <td><code>${formatMatcher(s.matcher)}</code></td>
                    <td>${when(s.until, now)}</td>
                    <td>${s.by}</td>
                    <td>${s.why}</td>
                    <td>
                      <form method="post" action="/action">
                        ${csrfField(viewer)}<input type="hidden" name="op" value="unsilence" /><input
                          type="hidden"
                          name="id"
                          value="${s.id}"
                        /><input type="hidden" name="back" value="/silences" /><button type="submit">Unsilence</button>
                      </form>
                    </td>
                  </tr>`,
              )}
            </tbody>
          </table>`
    }
    <h2>New silence</h2>
    <form class="act" method="post" action="/action">
      ${csrfField(viewer)}<input type="hidden" name="op" value="silence" /><input
        type="hidden"
        name="back"
        value="/silences"
      />
      <fieldset>
        <label>Matching <input name="matcher" size="34" placeholder="source=web* id=disk-*" required /></label>
        <label>for <input name="duration" size="6" value="2h" required /></label>
        <label>Note <input name="note" size="30" maxlength="500" placeholder="because…" /></label>
        <button type="submit" data-op="silence">Silence</button>
      </fieldset>
    </form>
  </main>`;
}
