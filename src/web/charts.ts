// Pictures drawn on the server as SVG: no charting library, no script, nothing fetched elsewhere.
import { html, toText, type Html } from "./html.js";

/** One series of a stacked chart: a name and a count per slot. */
export interface Series {
  readonly name: string;
  readonly counts: readonly number[];
}

const PALETTE = ["#7b4f9d", "#c62828", "#ef8f00", "#2e7d32", "#1565c0", "#8d8d99"];

/**
 * A stacked bar chart of counts per time slot (raises per hour, say): one bar per slot, one colour
 * per series, a legend, and the largest value on the axis. `slotLabel(i)` labels a few slots.
 */
export function stackedBars(
  title: string,
  series: readonly Series[],
  slots: number,
  slotLabel: (slot: number) => string,
  size = { width: 460, height: 140 },
): string {
  const { width, height } = size;
  const left = 34;
  const top = 18;
  const bottom = 22;
  const plotW = width - left - 8;
  const plotH = height - top - bottom;
  const totals = Array.from({ length: slots }, (_, i) => series.reduce((n, s) => n + (s.counts[i] ?? 0), 0));
  const max = Math.max(1, ...totals);
  const barW = plotW / slots;
  const bars: Html[] = [];
  for (let i = 0; i < slots; i++) {
    let y = top + plotH;
    series.forEach((s, k) => {
      const n = s.counts[i] ?? 0;
      if (n === 0) return;
      const h = (n / max) * plotH;
      y -= h;
      bars.push(
        html`<rect
          x="${fix(left + i * barW + 0.5)}"
          y="${fix(y)}"
          width="${fix(Math.max(barW - 1, 0.5))}"
          height="${fix(h)}"
          fill="${PALETTE[k % PALETTE.length]}"
          ><title>${s.name}: ${n} (${slotLabel(i)})</title></rect
        >`,
      );
    });
  }
  const ticks: Html[] = [];
  const every = Math.max(1, Math.round(slots / 6));
  for (let i = 0; i < slots; i += every)
    ticks.push(
      html`<text x="${fix(left + i * barW)}" y="${height - 6}" font-size="10" fill="currentColor"
        >${slotLabel(i)}</text
      >`,
    );
  const legend = series.map(
    (s, k) =>
      html`<tspan fill="${PALETTE[k % PALETTE.length]}">■</tspan><tspan fill="currentColor"> ${s.name} </tspan>`,
  );
  const total = totals.reduce((a, b) => a + b, 0);
  return toText(
    html`<svg
      xmlns="http://www.w3.org/2000/svg"
      width="${width}"
      height="${height}"
      viewBox="0 0 ${width} ${height}"
      role="img"
      aria-label="${title}: ${total} raises"
      color="#6b6b75"
      font-family="system-ui, sans-serif"
    >
      <title>${title}</title>
      <text x="${left}" y="12" font-size="11">${legend}</text>
      <line
        x1="${left}"
        y1="${top + plotH}"
        x2="${width - 8}"
        y2="${top + plotH}"
        stroke="currentColor"
        stroke-width="0.5"
      />
      <text x="2" y="${top + 8}" font-size="10" fill="currentColor">${max}</text>
      <text x="2" y="${top + plotH}" font-size="10" fill="currentColor">0</text>
      ${bars}${ticks}
    </svg>`,
  );
}

/** One moment in an alert's life, for its timeline. */
export interface TimelineEvent {
  readonly kind: string;
  readonly at: number;
  readonly label: string;
}

const EVENT_COLOUR: Readonly<Record<string, string>> = {
  raised: "#c62828",
  cleared: "#2e7d32",
  acked: "#1565c0",
  unacked: "#ef8f00",
  "ack-expired": "#ef8f00",
};

/**
 * An alert's raises, acks and clears on one time line from its first event to `now`: raised
 * stretches in red, acked ones in blue, a marker per event (hover for who and what).
 */
export function alertTimeline(events: readonly TimelineEvent[], now: number, width = 720): string {
  const height = 54;
  const shown = events.filter((e) => e.kind in EVENT_COLOUR);
  if (shown.length === 0)
    return toText(html`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="20"></svg>`);
  const start = shown[0]!.at;
  const span = Math.max(now - start, 1000);
  const x = (t: number): number => 8 + ((t - start) / span) * (width - 16);
  const bands: Html[] = [];
  let raisedFrom: number | null = null;
  let ackedFrom: number | null = null;
  const close = (until: number): void => {
    if (raisedFrom !== null)
      bands.push(
        html`<rect
          x="${fix(x(raisedFrom))}"
          y="20"
          width="${fix(Math.max(x(until) - x(raisedFrom), 1))}"
          height="10"
          fill="#c62828"
          opacity="0.35"
        />`,
      );
    if (ackedFrom !== null)
      bands.push(
        html`<rect
          x="${fix(x(ackedFrom))}"
          y="20"
          width="${fix(Math.max(x(until) - x(ackedFrom), 1))}"
          height="10"
          fill="#1565c0"
          opacity="0.6"
        />`,
      );
  };
  for (const e of shown) {
    if (e.kind === "raised") {
      if (raisedFrom === null) raisedFrom = e.at;
    } else if (e.kind === "acked") ackedFrom ??= e.at;
    else if (e.kind === "unacked" || e.kind === "ack-expired") {
      close(e.at);
      raisedFrom = raisedFrom === null ? null : e.at;
      ackedFrom = null;
    } else if (e.kind === "cleared") {
      close(e.at);
      raisedFrom = null;
      ackedFrom = null;
    }
  }
  close(now);
  const marks = shown.map(
    (e) =>
      html`<circle cx="${fix(x(e.at))}" cy="25" r="4" fill="${EVENT_COLOUR[e.kind]}"
        ><title>${e.kind}: ${e.label}</title></circle
      >`,
  );
  return toText(
    html`<svg
      xmlns="http://www.w3.org/2000/svg"
      width="${width}"
      height="${height}"
      viewBox="0 0 ${width} ${height}"
      role="img"
      aria-label="timeline of raises, acks and clears"
      font-family="system-ui, sans-serif"
    >
      <line x1="8" y1="25" x2="${width - 8}" y2="25" stroke="#8d8d99" stroke-width="1" />
      ${bands}${marks}
      <text x="8" y="48" font-size="10" fill="#8d8d99">
        ${new Date(start).toISOString().slice(0, 16).replace("T", " ")} UTC
      </text>
      <text x="${width - 8}" y="48" font-size="10" fill="#8d8d99" text-anchor="end">now</text>
    </svg>`,
  );
}

function fix(n: number): number {
  return Math.round(n * 10) / 10;
}
