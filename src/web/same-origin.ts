import type { IncomingHttpHeaders } from "node:http";

/** Why a request that changes something was judged not to come from the board's own pages. */
export type ForeignReason = "cross-site" | "foreign-origin";

/** The verdict on a request: from the board's pages, or from elsewhere (with what gave it away). */
export type OriginVerdict =
  { readonly ok: true } | { readonly ok: false; readonly reason: ForeignReason; readonly seen: string };

/**
 * Whether a POST comes from the board's own pages, judged from what the browser says of the page
 * that sent it: this is what keeps another site from signing a browser in as someone else (login
 * CSRF) or out, where no session CSRF token exists yet. The same rule as Go's
 * `http.CrossOriginProtection`:
 *
 * 1. `Sec-Fetch-Site` (Fetch Metadata, https://w3c.github.io/webappsec-fetch-metadata/): set by
 *    the browser and never by a page; `same-origin` (or `none`, something the person did
 *    themselves) passes, anything else is refused. Browsers send it only to https and loopback.
 * 2. Otherwise `Origin` (RFC 6454 §7, sent with every POST by browsers since 2020): it must be the
 *    board's public address when `board.url` is set (behind a TLS proxy the page's origin is the
 *    proxy's), else `http://` and the request's own `Host` (the listener speaks plain HTTP).
 *    `Origin: null` (a sandboxed frame, a redirect across sites) is refused.
 * 3. Neither header: not a browser (curl, the bench's workers) or one older than both; let through.
 *    Every form that changes an alert still needs the session's CSRF token, and a browser too old
 *    to send `Origin` is not one anyone runs.
 */
export function fromBoardPage(headers: IncomingHttpHeaders, boardUrl: string | null): OriginVerdict {
  const site = one(headers["sec-fetch-site"]);
  if (site !== undefined)
    return site === "same-origin" || site === "none" ? { ok: true } : { ok: false, reason: "cross-site", seen: site };
  const origin = one(headers.origin);
  if (origin === undefined) return { ok: true };
  const own = boardUrl === null ? ownOrigin(one(headers.host)) : new URL(boardUrl).origin;
  return own !== null && origin.toLowerCase() === own.toLowerCase()
    ? { ok: true }
    : { ok: false, reason: "foreign-origin", seen: origin };
}

function ownOrigin(host: string | undefined): string | null {
  if (host === undefined || host === "") return null;
  try {
    // Through URL, as the browser wrote it: a default port dropped, a host name lowercased.
    return new URL(`http://${host}`).origin;
  } catch {
    return null;
  }
}

function one(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
