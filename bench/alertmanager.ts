// Prometheus Alertmanager beside AlertBot (the peer phase): the routing the private Alertmanager
// (alertmanager/launcher.ts) runs with, and the webhook receiver it notifies, a real HTTP server in
// the bench that stamps every alert as it arrives.
import { createServer, type Server } from "node:http";
import { hrMs } from "./hrtime.js";

/**
 * The routing of the peer phase: every distinct alert its own group sent at once (group_wait 0,
 * "ungrouped"), except alerts labelled hold="yes" (the open-alerts part), kept in one group whose
 * notifications carry ten alerts, so that measuring memory does not mean 100,000 webhook calls.
 */
export function peerRouting(webhookUrl: string): string {
  return `route:
  receiver: bench
  group_by: ["..."]
  group_wait: 0s
  group_interval: 1h
  repeat_interval: 1h
  routes:
    - receiver: held
      matchers: ['hold="yes"']
      group_by: [hold]
      group_wait: 0s
      group_interval: 1h
      repeat_interval: 1h
receivers:
  - name: bench
    webhook_configs:
      - url: ${JSON.stringify(webhookUrl)}
        send_resolved: false
  - name: held
    webhook_configs:
      - url: ${JSON.stringify(webhookUrl)}
        send_resolved: false
        max_alerts: 10
`;
}

/** The webhook receiver: when each alert (by its `id` label) first arrived, on the bench's clock. */
export class WebhookSink {
  readonly arrived = new Map<string, number>();
  calls = 0;
  private listeners = new Set<() => void>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  /** Listens on a free loopback port. */
  static async start(): Promise<WebhookSink> {
    let sink: WebhookSink | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const at = hrMs();
        res.writeHead(200).end();
        sink?.take(Buffer.concat(chunks).toString("utf8"), at);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    sink = new WebhookSink(server, `http://127.0.0.1:${port}/hook`);
    return sink;
  }

  private take(body: string, at: number): void {
    this.calls++;
    try {
      const payload = JSON.parse(body) as { alerts?: Array<{ labels?: Record<string, string> }> };
      for (const a of payload.alerts ?? []) {
        const id = a.labels?.["id"];
        if (id !== undefined && !this.arrived.has(id)) this.arrived.set(id, at);
      }
    } catch {
      // Not a webhook payload: nothing to stamp.
    }
    for (const l of this.listeners) l();
  }

  /** Resolves when `check` holds (checked on every call), or false after `timeoutMs`. */
  until(check: () => boolean, timeoutMs: number): Promise<boolean> {
    if (check()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve(ok);
      };
      const listener = (): void => {
        if (check()) done(true);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      this.listeners.add(listener);
    });
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
