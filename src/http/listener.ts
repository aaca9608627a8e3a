import {
  createServer,
  validateHeaderName,
  validateHeaderValue,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import type { Logger } from "../log.js";
import { StorageUnavailableError } from "../errors.js";

/** What a 503 asks a sender to wait before sending again, while the database cannot be written. */
const STORAGE_RETRY_AFTER_S = 30;

/** A request as a route sees it: the body already read (within the listener's limit). */
export interface HttpRequest {
  readonly method: string;
  /** The path without the query string. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** The peer's address (the proxy's, behind a reverse proxy). */
  readonly remote: string;
}

/**
 * An answer that stays open and is written to as things happen (server-sent events): `open` gets
 * the writer once the headers are out, and returns what to do when the client goes away.
 */
export interface HttpStream {
  readonly status: number;
  readonly contentType: string;
  readonly headers?: Readonly<Record<string, string>>;
  open(writer: StreamWriter): () => void;
}

/** Writes to an open stream; `write` returns false when the client is gone or slow (the chunk is dropped then). */
export interface StreamWriter {
  write(chunk: string): boolean;
  end(): void;
}

/** What a route answers: JSON (the default for APIs), text with its content type, or an open stream. */
export type HttpResponse =
  | { readonly status: number; readonly json: unknown; readonly headers?: Readonly<Record<string, string>> }
  | {
      readonly status: number;
      readonly text: string;
      readonly contentType: string;
      readonly headers?: Readonly<Record<string, string>>;
    }
  | { readonly status: number; readonly stream: HttpStream; readonly headers?: Readonly<Record<string, string>> };

/** One endpoint. Routes are matched by exact path, then method. */
export interface Route {
  readonly method: "GET" | "POST";
  readonly path: string;
  handle(req: HttpRequest): HttpResponse | Promise<HttpResponse>;
}

/** Where and how much the listener accepts. */
export interface ListenerOptions {
  readonly host: string;
  readonly port: number;
  readonly maxBodyBytes: number;
}

/** What the listener logs with, and whom it tells of each answer (metrics). */
export interface ListenerDeps {
  readonly log: Logger;
  /** Called with the route's path ("other" for unknown paths) and the status of every answer. */
  readonly onAnswer?: (path: string, status: number) => void;
}

/** A running HTTP listener shared by every HTTP feature of AlertBot. */
export interface HttpListener {
  /** Where it listens (the real port when the config said 0). */
  readonly address: { readonly host: string; readonly port: number };
  /** Adds an endpoint (the metrics, the webhooks, later the web board); a path and method may be added once. */
  addRoute(route: Route): void;
  close(): Promise<void>;
}

/** A JSON error answer: `{ "error": message }`. */
export function jsonError(status: number, message: string, headers?: Readonly<Record<string, string>>): HttpResponse {
  return headers ? { status, json: { error: message }, headers } : { status, json: { error: message } };
}

/**
 * Starts the HTTP listener: exact-path routing, bodies read up to `maxBodyBytes` (413 beyond,
 * without reading the rest), JSON errors for unknown paths (404) and methods (405), and an error
 * boundary: a route that throws answers 500 and is logged, and nothing a client sends can stop
 * the listener.
 */
export async function startHttpListener(options: ListenerOptions, deps: ListenerDeps): Promise<HttpListener> {
  const routes = new Map<string, Map<string, Route>>();
  const { log } = deps;

  const server = createServer((req, res) => {
    const path = pathOf(req.url);
    const send = (answer: HttpResponse, after?: () => void): void => {
      if (res.headersSent) return;
      deps.onAnswer?.(routes.has(path) ? path : "other", answer.status);
      const dropped = write(res, req.method === "HEAD", answer, after);
      // The route has done its work by now: a header Node refuses is a bug to log, not a 500 that
      // would tell the client nothing was done.
      for (const name of dropped)
        log.error("HTTP answer header dropped: not a valid header", { method: req.method, path, header: name });
    };
    serve(req, send).catch((err: unknown) => {
      // The sender keeps what it sent and tries again later (Alertmanager and our senders retry a 503).
      if (err instanceof StorageUnavailableError) {
        log.warn("HTTP request refused: the database cannot be written", {
          method: req.method,
          path,
          reason: err.reason,
        });
        send(
          jsonError(503, `${err.message}; nothing was applied: send it again later`, {
            "retry-after": String(STORAGE_RETRY_AFTER_S),
          }),
        );
        return;
      }
      log.error("HTTP request failed", { method: req.method, path, err });
      send(jsonError(500, "internal error; see AlertBot's log"));
    });
  });

  async function serve(req: IncomingMessage, send: (answer: HttpResponse, after?: () => void) => void): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    const byMethod = routes.get(url.pathname);
    if (!byMethod) return send(jsonError(404, `no such path: ${url.pathname}`));
    const method = req.method === "HEAD" ? "GET" : (req.method ?? "");
    const route = byMethod.get(method);
    if (!route) {
      const allow = [...byMethod.keys()].join(", ");
      return send(
        jsonError(405, `${req.method ?? "?"} is not allowed on ${url.pathname} (allowed: ${allow})`, { allow }),
      );
    }
    const body = await readBody(req, options.maxBodyBytes);
    if (body === "too-large") {
      // The rest of the body is not read: the connection closes after the answer.
      const close = { connection: "close" };
      return send(jsonError(413, `request body over ${options.maxBodyBytes} bytes (http.max_body_bytes)`, close), () =>
        req.destroy(),
      );
    }
    if (body === "aborted") return;
    const answer = await route.handle({
      method,
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body,
      remote: req.socket.remoteAddress ?? "",
    });
    send(answer);
  }

  // Malformed requests (bad headers, garbage on the socket) get a 400 from Node's parser, never an exception.
  server.on("clientError", (err: NodeJS.ErrnoException, socket) => {
    if (socket.writable && err.code !== "ECONNRESET")
      socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.on("error", (err) => log.error("HTTP listener error", { err }));
  const bound = server.address();
  const port = typeof bound === "object" && bound !== null ? bound.port : options.port;
  const host = typeof bound === "object" && bound !== null ? bound.address : options.host;

  return {
    address: { host, port },
    addRoute(route) {
      const byMethod = routes.get(route.path) ?? new Map<string, Route>();
      if (byMethod.has(route.method)) throw new Error(`HTTP route ${route.method} ${route.path} is already taken`);
      byMethod.set(route.method, route);
      routes.set(route.path, byMethod);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function pathOf(url: string | undefined): string {
  return (url ?? "").split("?")[0] ?? "";
}

// Counts bytes as they arrive, so a client cannot make the bot buffer more than the limit.
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | "too-large" | "aborted"> {
  const declared = Number(req.headers["content-length"] ?? "0");
  if (declared > limit) return Promise.resolve("too-large");
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (result: Buffer | "too-large" | "aborted"): void => {
      if (done) return;
      done = true;
      resolve(result);
    };
    req.on("data", (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        req.pause();
        return finish("too-large");
      }
      chunks.push(chunk);
    });
    req.on("end", () => finish(Buffer.concat(chunks, size)));
    req.on("error", () => finish("aborted"));
    req.on("close", () => finish("aborted"));
  });
}

// Returns the names of the headers it left out because Node would throw on them (a route that put
// a non-ASCII character in a Location); the answer goes out without them.
function write(res: ServerResponse, head: boolean, answer: HttpResponse, after?: () => void): string[] {
  const dropped: string[] = [];
  const set = (headers: Readonly<Record<string, string>> | undefined): void => {
    for (const [name, value] of Object.entries(headers ?? {})) {
      try {
        validateHeaderName(name);
        validateHeaderValue(name, value);
      } catch {
        dropped.push(name);
        continue;
      }
      res.setHeader(name, value);
    }
  };
  set(answer.headers);
  if ("stream" in answer) {
    set(answer.stream.headers);
    set({ "content-type": answer.stream.contentType, "cache-control": "no-store" });
    openStream(res, head, answer.status, answer.stream);
    return dropped;
  }
  const [type, payload] =
    "json" in answer
      ? ["application/json; charset=utf-8", `${JSON.stringify(answer.json)}\n`]
      : [answer.contentType, answer.text];
  set({ "content-type": type });
  res.writeHead(answer.status, { "content-length": Buffer.byteLength(payload) });
  res.end(payload, after);
  return dropped;
}

// A stream has no length: it is written as it goes, and a client that does not read is not queued
// for (a board left open on a stalled laptop must not make the bot buffer the feed for it). HEAD
// gets the headers and the end: a stream opened for it would never end, as there is no body to read.
function openStream(res: ServerResponse, head: boolean, status: number, stream: HttpStream): void {
  res.writeHead(status);
  if (head) {
    res.end();
    return;
  }
  res.flushHeaders();
  let closed = false;
  const onClose = stream.open({
    write(chunk) {
      if (closed || res.writableNeedDrain) return false;
      return res.write(chunk);
    },
    end() {
      closed = true;
      res.end();
    },
  });
  res.on("close", () => {
    closed = true;
    onClose();
  });
}
