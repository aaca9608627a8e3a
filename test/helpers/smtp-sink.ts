// A real SMTP server on loopback for the email channel's tests, with a small MIME reader for
// what it captures (mailparser's dependencies are not available here).
import type { Socket } from "node:net";
import { SMTPServer } from "smtp-server";

/** One mail as the server received it. */
export interface CapturedMail {
  readonly from: string;
  readonly to: readonly string[];
  /** The authenticated user, or null. */
  readonly user: string | null;
  readonly raw: string;
}

/** How the sink answers the next mail: take it, refuse it at RCPT with a code, or never answer DATA. */
export type SinkReply = "accept" | 451 | 550 | "stall";

/** Options for {@link SmtpSink.start}. */
export interface SmtpSinkOptions {
  /** Require AUTH with these credentials; a wrong password is refused with a 535 that echoes it, like a careless server. */
  readonly auth?: { readonly user: string; readonly password: string };
}

const REPLIES: Readonly<Record<451 | 550, string>> = {
  451: "Requested action aborted: try again later",
  550: "Requested action not taken: mailbox unavailable",
};

/** smtp-server on 127.0.0.1, port 0, capturing raw messages and answering as scripted. */
export class SmtpSink {
  readonly mails: CapturedMail[] = [];
  private readonly replies: SinkReply[] = [];
  private readonly sockets = new Set<Socket>();
  private stallWaiters: Array<() => void> = [];
  private stalls = 0;

  private constructor(
    private readonly server: SMTPServer,
    readonly port: number,
  ) {}

  /** Starts a sink; close it in `after`. */
  static async start(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
    let sink: SmtpSink | undefined;
    const auth = options.auth;
    const server = new SMTPServer({
      logger: false,
      disableReverseLookup: true,
      disabledCommands: auth ? ["STARTTLS"] : ["STARTTLS", "AUTH"],
      allowInsecureAuth: true,
      authOptional: !auth,
      onAuth(given, _session, callback) {
        if (auth && given.username === auth.user && given.password === auth.password)
          return callback(null, { user: given.username });
        callback(
          Object.assign(new Error(`Authentication failed for ${given.username}:${given.password ?? ""}`), {
            responseCode: 535,
          }),
        );
      },
      onRcptTo(_address, _session, callback) {
        const reply = sink?.replies[0] ?? "accept";
        if (reply !== 451 && reply !== 550) return callback();
        sink?.replies.shift();
        callback(Object.assign(new Error(REPLIES[reply]), { responseCode: reply }));
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", () => {
          if (sink?.replies[0] === "stall") {
            sink.replies.shift();
            sink.stalled();
            return; // never answer: the client must give up by itself
          }
          sink?.mails.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
            to: session.envelope.rcptTo.map((r) => r.address),
            user: typeof session.user === "string" ? session.user : null,
            raw: Buffer.concat(chunks).toString("utf8"),
          });
          callback();
        });
      },
    });
    const net = (server as unknown as { server: import("node:net").Server }).server;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = net.address();
    if (address === null || typeof address === "string") throw new Error("smtp sink has no port");
    sink = new SmtpSink(server, address.port);
    const created = sink;
    net.on("connection", (socket: Socket) => {
      created.sockets.add(socket);
      socket.on("close", () => created.sockets.delete(socket));
    });
    return sink;
  }

  /** Answers the next mails with these replies, in order, then accepts again. */
  script(...replies: SinkReply[]): void {
    this.replies.push(...replies);
  }

  /** Resolves once a mail has been stalled (the client is waiting for an answer that won't come). */
  whenStalled(): Promise<void> {
    return this.stalls > 0 ? Promise.resolve() : new Promise((resolve) => this.stallWaiters.push(resolve));
  }

  /** Stops the server and drops every connection, stalled ones included. */
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private stalled(): void {
    this.stalls++;
    for (const resolve of this.stallWaiters.splice(0)) resolve();
  }
}

/** A MIME part: lower-cased header names, the body decoded from its transfer encoding. */
export interface MailPart {
  readonly headers: ReadonlyMap<string, string>;
  readonly body: string;
}

/** A captured mail read enough for assertions: top-level headers and the leaf parts. */
export interface ParsedMail {
  readonly headers: ReadonlyMap<string, string>;
  readonly parts: readonly MailPart[];
  /** The first part of the given content type (`text/plain`, `text/html`). */
  part(type: string): MailPart | undefined;
}

/** Parses a raw message: unfolds headers, decodes encoded words, splits multiparts, decodes QP/base64. */
export function parseMail(raw: string): ParsedMail {
  const { headers, body } = splitEntity(raw);
  const parts = leaves(headers, body);
  return {
    headers,
    parts,
    part: (type) => parts.find((p) => (p.headers.get("content-type") ?? "text/plain").startsWith(type)),
  };
}

function splitEntity(raw: string): { headers: Map<string, string>; body: string } {
  const text = raw.replace(/\r\n/g, "\n");
  const cut = text.indexOf("\n\n");
  const head = cut < 0 ? text : text.slice(0, cut);
  const headers = new Map<string, string>();
  for (const line of head.replace(/\n[ \t]+/g, " ").split("\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), decodeWords(line.slice(colon + 1).trim()));
  }
  return { headers, body: cut < 0 ? "" : text.slice(cut + 2) };
}

function leaves(headers: Map<string, string>, body: string): MailPart[] {
  const type = headers.get("content-type") ?? "text/plain";
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (!type.startsWith("multipart/") || boundary === undefined)
    return [{ headers, body: decodeBody(body, headers.get("content-transfer-encoding")) }];
  const sections = body.split(`--${boundary}`).slice(1, -1);
  return sections.flatMap((section) => {
    const inner = splitEntity(section.replace(/^\n/, ""));
    return leaves(inner.headers, inner.body.replace(/\n$/, ""));
  });
}

function decodeBody(body: string, encoding: string | undefined): string {
  const kind = (encoding ?? "7bit").toLowerCase();
  if (kind === "base64") return Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
  if (kind !== "quoted-printable") return body;
  const soft = body.replace(/=\n/g, "");
  return Buffer.from(
    soft.replace(/=([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))),
    "latin1",
  ).toString("utf8");
}

// RFC 2047 encoded words, which nodemailer uses for non-ASCII subjects and names.
function decodeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, "?==?")
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_m, _charset: string, kind: string, data: string) =>
      kind.toUpperCase() === "B"
        ? Buffer.from(data, "base64").toString("utf8")
        : Buffer.from(
            data
              .replace(/_/g, " ")
              .replace(/=([0-9A-Fa-f]{2})/g, (_x, hex: string) => String.fromCharCode(parseInt(hex, 16))),
            "latin1",
          ).toString("utf8"),
    );
}
