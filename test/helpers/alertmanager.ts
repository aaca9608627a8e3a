// A real Prometheus Alertmanager (Debian's prometheus-alertmanager) for tests: loopback only,
// private ports, its own data directory, clustering off, and a config whose one webhook receiver
// points at AlertBot.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pickFreePorts } from "../../prosody/ports.js";
import { waitFor } from "./wait-for.js";

/** An alert as Alertmanager's API v2 takes it (POST /api/v2/alerts). */
export interface PostableAlert {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt?: string;
  endsAt?: string;
}

/** A running Alertmanager. */
export interface TestAlertmanager {
  readonly url: string;
  /** Posts alerts to its API; endsAt in the past resolves them. */
  post(alerts: readonly PostableAlert[]): Promise<void>;
  /** Its output so far (printed when a test fails). */
  output(): string;
  stop(): Promise<void>;
}

/**
 * The routing the tests use: a group per alert sent at once and again every second (so that
 * repeats reach the bot), and alerts labelled batch="yes" grouped together, waited for long
 * enough that a batch posted in one request goes out in one webhook.
 */
export function alertmanagerConfig(webhookUrl: string, tokenFile: string): string {
  return `route:
  receiver: mauve
  group_by: ["..."]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1s
  routes:
    - receiver: mauve
      matchers: ['batch="yes"']
      group_by: [batch]
      group_wait: 3s
      group_interval: 1h
      repeat_interval: 1h
receivers:
  - name: mauve
    webhook_configs:
      - url: ${JSON.stringify(webhookUrl)}
        send_resolved: true
        max_alerts: 0
        http_config:
          authorization:
            type: Bearer
            credentials_file: ${JSON.stringify(tokenFile)}
`;
}

/** Starts Alertmanager in `dir` with `config` (YAML) and waits until it says it is ready. */
export async function startAlertmanager(dir: string, config: string): Promise<TestAlertmanager> {
  const [port] = await pickFreePorts(1);
  const data = join(dir, "alertmanager-data");
  mkdirSync(data, { recursive: true });
  const configFile = join(dir, "alertmanager.yml");
  writeFileSync(configFile, config);
  const url = `http://127.0.0.1:${port}`;
  let out = "";
  const child: ChildProcess = spawn(
    "prometheus-alertmanager",
    [
      `--config.file=${configFile}`,
      `--storage.path=${data}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--cluster.listen-address=",
      "--log.level=debug",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  child.stdout!.setEncoding("utf8").on("data", (s: string) => (out += s));
  child.stderr!.setEncoding("utf8").on("data", (s: string) => (out += s));
  let exited = false;
  const closed = new Promise<void>((resolve) => child.on("close", () => ((exited = true), resolve())));
  child.on("error", (err) => (out += `cannot start prometheus-alertmanager: ${err.message}\n`));
  try {
    await waitFor(
      "Alertmanager to be ready",
      async () => {
        if (exited) throw new Error(`Alertmanager exited:\n${out}`);
        const res = await fetch(`${url}/-/ready`).catch(() => null);
        return res?.ok === true;
      },
      30_000,
    );
  } catch (err) {
    child.kill("SIGKILL");
    throw err;
  }
  return {
    url,
    async post(alerts) {
      const res = await fetch(`${url}/api/v2/alerts`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(alerts),
      });
      if (!res.ok) throw new Error(`Alertmanager refused the alerts: ${res.status} ${await res.text()}`);
    },
    output: () => out,
    async stop() {
      if (!exited) child.kill("SIGTERM");
      await closed;
    },
  };
}
