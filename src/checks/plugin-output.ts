import type { CheckStatus } from "./types.js";

// Mauve's field limits: summary 1024 characters, detail 65,535.
const SUMMARY_MAX = 1024;
// Escaped, each character takes at most 6 (&quot;), so 10,000 stays within the detail limit.
const DETAIL_MAX = 10_000;

/** The status a Nagios plugin's exit code means; out-of-range codes are UNKNOWN, as in Nagios. */
export function statusOfExitCode(code: number): CheckStatus {
  switch (code) {
    case 0:
      return "ok";
    case 1:
      return "warning";
    case 2:
      return "critical";
    default:
      return "unknown";
  }
}

/**
 * Splits plugin output per the Nagios plugin guidelines: `TEXT | perfdata` on the first line,
 * optional long text after it, where the first `|` starts more perfdata that runs to the end.
 * The summary is the first line's text; the detail is the long text; perfdata is dropped.
 */
export function parsePluginOutput(stdout: string): { summary: string; detail: string } {
  const text = stdout.replace(/\r\n?/g, "\n").replace(/\n+$/, "");
  const newline = text.indexOf("\n");
  const first = newline < 0 ? text : text.slice(0, newline);
  const rest = newline < 0 ? "" : text.slice(newline + 1);
  const summary = beforePipe(first).trim();
  const detail = beforePipe(rest).replace(/\s+$/, "");
  return { summary: clip(summary, SUMMARY_MAX), detail: clip(detail, DETAIL_MAX) };
}

/** Plain output as a detail HTML fragment: escaped and kept preformatted, since plugins align columns. */
export function detailHtml(text: string): string {
  if (text === "") return "";
  const escaped = text.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c] ?? c);
  return `<pre>${escaped}</pre>`;
}

function beforePipe(text: string): string {
  const bar = text.indexOf("|");
  return bar < 0 ? text : text.slice(0, bar);
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
