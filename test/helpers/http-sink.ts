// A real HTTP server on loopback standing in for an SMS gateway: it records every request and
// answers as scripted (a status with a body, or no answer at all).
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";

/** One request as the server received it. */
export interface CapturedRequest {
  readonly method: string;
  /** Path and query, as sent. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** How the sink answers the next request. */
export type HttpReply =
  | { readonly status: number; readonly body?: string; readonly headers?: Record<string, string> }
  | "hang"
  /** Answers 401 with the request's own Authorization header and body, like a gateway that echoes too much. */
  | "echo-401";

/** node:http on 127.0.0.1, port 0. */
export class HttpSink {
  readonly requests: CapturedRequest[] = [];
  private readonly replies: HttpReply[] = [];
  private readonly hanging: ServerResponse[] = [];
  private waiters: Array<() => void> = [];

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly fallback: HttpReply,
  ) {}

  /** Starts a sink answering `fallback` (200 by default) when nothing is scripted. */
  static async start(fallback: HttpReply = { status: 200, body: '{"ok":true}' }): Promise<HttpSink> {
    let sink: HttpSink | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () =>
        sink?.answer(
          {
            method: req.method ?? "",
            url: req.url ?? "",
            headers: req.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          },
          res,
        ),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("http sink has no port");
    sink = new HttpSink(server, address.port, fallback);
    return sink;
  }

  /** The base URL, e.g. http://127.0.0.1:40123. */
  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Answers the next requests with these replies, in order, then with the fallback. */
  script(...replies: HttpReply[]): void {
    this.replies.push(...replies);
  }

  /** Resolves once `n` requests have arrived. */
  async received(n: number): Promise<void> {
    while (this.requests.length < n) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Stops the server, dropping hanging requests. */
  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private answer(request: CapturedRequest, res: ServerResponse): void {
    this.requests.push(request);
    for (const wake of this.waiters.splice(0)) wake();
    const reply = this.replies.shift() ?? this.fallback;
    if (reply === "hang") return void this.hanging.push(res);
    if (reply === "echo-401") {
      res.writeHead(401, { "Content-Type": "text/plain" });
      return void res.end(
        `unauthorized: ${request.headers.authorization ?? ""} ${JSON.stringify(request.headers)} ${request.body}`,
      );
    }
    res.writeHead(reply.status, { "Content-Type": "application/json", ...reply.headers });
    res.end(reply.body ?? "");
  }
}
