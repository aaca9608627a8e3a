// Prometheus Alertmanager beside AlertBot (the peer phase): Debian's prometheus-alertmanager on
// loopback with its own data directory and clustering off, and the webhook receiver it notifies, a
// real HTTP server in the bench that stamps every alert as it arrives.
import { createServer, type Server } from "node:http";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pickFreePorts } from "../prosody/ports.js";
import { spawnLogged, terminate } from "./children.js";
import { hrMs, sleep } from "./hrtime.js";

/** An alert as Alertmanager's API v2 takes it (POST /api/v2/alerts). */
export interface PostableAlert {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
}

/** A running Alertmanager. */
export interface PeerAlertmanager {
  readonly pid: number;
  readonly version: string;
  /** Posts alerts in one request; resolves when Alertmanager answered. */
  post(alerts: readonly PostableAlert[]): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The routing of the peer phase: every distinct alert its own group sent at once (group_wait 0,
 * "ungrouped"), except alerts labelled hold="yes" (the open-alerts part), kept in one group whose
 * notifications carry ten alerts, so that measuring memory does not mean 100,000 webhook calls.
 */
function config(webhookUrl: string): string {
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

/** Starts Alertmanager in `dir`, notifying `webhookUrl`; resolves once /-/ready answers. */
export async function startAlertmanager(dir: string, webhookUrl: string): Promise<PeerAlertmanager> {
  await mkdir(join(dir, "data"), { recursive: true });
  const configFile = join(dir, "alertmanager.yml");
  await writeFile(configFile, config(webhookUrl));
  const [port] = await pickFreePorts(1);
  const url = `http://127.0.0.1:${port}`;
  const child = spawnLogged(
    "prometheus-alertmanager",
    [
      `--config.file=${configFile}`,
      `--storage.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--cluster.listen-address=",
      "--log.level=warn",
    ],
    join(dir, "alertmanager.log"),
    dir,
  );
  const failed = new Promise<never>((_, reject) => {
    child.once("error", (err) => reject(new Error(`cannot start prometheus-alertmanager: ${err.message}`)));
    child.once("exit", (code) => reject(new Error(`prometheus-alertmanager exited (${code}); see ${dir}`)));
  });
  failed.catch(() => undefined);
  const deadline = hrMs() + 30_000;
  for (;;) {
    const ready = await Promise.race([
      fetch(`${url}/-/ready`).then(
        (r) => r.ok,
        () => false,
      ),
      failed,
    ]);
    if (ready) break;
    if (hrMs() > deadline) {
      await terminate(child);
      throw new Error(`Alertmanager did not get ready within 30 s; see ${dir}`);
    }
    await sleep(100);
  }
  const version = await fetch(`${url}/api/v2/status`)
    .then((r) => r.json() as Promise<{ versionInfo?: { version?: string } }>)
    .then((s) => `Alertmanager ${s.versionInfo?.version ?? "?"}`)
    .catch(() => "Alertmanager ?");
  return {
    pid: child.pid ?? -1,
    version,
    async post(alerts) {
      const res = await fetch(`${url}/api/v2/alerts`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(alerts),
      });
      if (!res.ok) throw new Error(`Alertmanager refused the alerts: ${res.status} ${await res.text()}`);
    },
    stop: () => terminate(child),
  };
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
