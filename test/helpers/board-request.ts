// A request to the web board's routes as the HTTP listener hands it over, for tests without sockets.
import type { IncomingHttpHeaders } from "node:http";
import type { HttpRequest, HttpResponse } from "../../src/http/listener.js";

/** `method` on `target` (a path and query) with the session cookie, a form body and other `headers`. */
export function boardRequest(
  method: string,
  target: string,
  cookie = "",
  body = "",
  headers: IncomingHttpHeaders = {},
): HttpRequest {
  const url = new URL(target, "http://127.0.0.1");
  return {
    method,
    path: url.pathname,
    query: url.searchParams,
    headers: { cookie, "content-type": "application/x-www-form-urlencoded", ...headers },
    body: Buffer.from(body),
    remote: "127.0.0.1",
  };
}

/** The text of an answer (none for a stream). */
export const textOf = (r: HttpResponse): string => ("text" in r ? r.text : "");
