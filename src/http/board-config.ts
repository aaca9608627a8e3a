import { object, optional } from "../schema/combinators.js";
import { expected, INVALID, type Reader } from "../schema/reader.js";
import { bool, duration } from "../schema/scalars.js";
import { DAY_MS, MINUTE_MS } from "../util/duration.js";

/** The web board (docs/web.md): off unless `http.board` is in the config. */
export interface BoardConfig {
  /**
   * The address people's browsers reach the board at (the reverse proxy's https URL), used in the
   * sign-in links the bot sends; null: the listener's own address.
   */
  readonly url: string | null;
  /** How long a sign-in link from the `web` command stays usable (it is good once). */
  readonly linkTtlMs: number;
  /** How long a signed-in browser stays signed in without signing in again. */
  readonly sessionTtlMs: number;
  /** Mark the session cookie Secure (set it when the proxy serves https, as it should). */
  readonly secureCookie: boolean;
}

const baseUrl: Reader<string | null> = (value, path, ctx) => {
  if (value === null || value === undefined) return null;
  let url: URL | null;
  try {
    url = typeof value === "string" ? new URL(value) : null;
  } catch {
    url = null;
  }
  if (url === null || (url.protocol !== "https:" && url.protocol !== "http:") || url.search !== "" || url.hash !== "")
    return expected('the board\'s address as browsers see it, like "https://alerts.example.org/"', value, path, ctx);
  if (url.username !== "" || url.password !== "") {
    ctx.report(path, "the address must not carry a user name or password");
    return INVALID;
  }
  return url.href.endsWith("/") ? url.href : `${url.href}/`;
};

/** Reads `http.board: { url, link_ttl, session_ttl, secure_cookie }`; `board: {}` turns it on with the defaults. */
export const boardSection: Reader<BoardConfig> = (value, path, ctx) => {
  const read = object({
    url: optional(baseUrl, null),
    link_ttl: optional(duration({ min: 30_000, max: 60 * MINUTE_MS }), "10m"),
    session_ttl: optional(duration({ min: 5 * MINUTE_MS, max: 30 * DAY_MS }), "12h"),
    secure_cookie: optional(bool(), false),
  })(value ?? {}, path, ctx);
  if (read === INVALID) return INVALID;
  return {
    url: read.url,
    linkTtlMs: read.linkTtl,
    sessionTtlMs: read.sessionTtl,
    secureCookie: read.secureCookie,
  };
};
