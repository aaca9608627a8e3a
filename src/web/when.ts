import { ago, relative } from "../commands/format.js";
import { formatInZone } from "../policy/zoned-time.js";
import { html, type Html } from "./html.js";

/** A moment as the board shows it: "12m ago", with the exact time (UTC) on hover. */
export function when(at: number | null, now: number): Html {
  if (at === null) return html`<span class="muted">—</span>`;
  return html`<time datetime="${new Date(at).toISOString()}" title="${formatInZone(at, "UTC")}"
    >${at > now ? relative(at, now) : ago(at, now)}</time
  >`;
}
