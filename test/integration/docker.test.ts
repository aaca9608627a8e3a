// docker-compose.yml, checked without a container engine (none runs in CI): Debian's
// docker-compose validates the file, and every piece the containers would run is run here
// instead: the images' entry points are the package's installed commands, the mounted YAML
// passes those commands' --check-config, Prosody accepts its config, and the health checks
// answer yes and no against real sockets.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { parse } from "yaml";
import { REPO_ROOT } from "../helpers/process-child.js";
import { tempDir } from "../helpers/spine.js";

const run = promisify(execFile);

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

async function ran(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<Ran> {
  try {
    const { stdout, stderr } = await run(command, args, {
      cwd: options.cwd ?? REPO_ROOT,
      env: options.env ?? process.env,
      maxBuffer: 16 << 20,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof e.code !== "number") throw err;
    return { code: e.code, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

interface ComposeService {
  build?: { context: string; dockerfile: string; target?: string };
  command?: string[];
  healthcheck?: { test: string[] };
  secrets?: Array<{ source: string }>;
  volumes?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
}
interface Compose {
  services: Record<string, ComposeService>;
  secrets: Record<string, { file: string }>;
  volumes: Record<string, unknown>;
}

/** `ENTRYPOINT` and `CMD` of one stage of a Dockerfile (the last stage when `target` is absent), in exec form. */
function stageCommands(dockerfile: string, target: string | undefined): { entrypoint: string[]; cmd: string[] } {
  const stages = readFileSync(dockerfile, "utf8")
    .split(/^FROM /m)
    .slice(1);
  const stage =
    target === undefined
      ? stages.at(-1)
      : stages.find((s) => new RegExp(`^\\S+ AS ${target}\\s*$`, "m").test(s.split("\n")[0] ?? ""));
  assert.ok(stage, `${dockerfile} has a stage ${target ?? "(last)"}`);
  const exec = (instruction: string): string[] => {
    const m = new RegExp(`^${instruction} (\\[.*\\])\\s*$`, "m").exec(stage);
    assert.ok(m?.[1], `${dockerfile} ${target ?? ""}: ${instruction} in exec (JSON) form`);
    return JSON.parse(m[1]) as string[];
  };
  return { entrypoint: exec("ENTRYPOINT"), cmd: exec("CMD") };
}

describe("docker-compose.yml: validated by docker-compose, its parts run for real", function () {
  this.timeout(120_000);
  let dir: string;
  let compose: Compose;
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { bin: Record<string, string> };

  before(async () => {
    dir = tempDir("mauve-docker-");
    const config = await ran("docker-compose", ["config"]);
    assert.equal(config.code, 0, `docker-compose config:\n${config.stderr}`);
    compose = parse(config.stdout) as Compose;
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("docker-compose config -q accepts the file, and refuses a broken copy of it", async () => {
    const ok = await ran("docker-compose", ["config", "-q"]);
    assert.equal(ok.code, 0, ok.stderr);
    // The check can fail: the same file with a depends_on condition compose does not know.
    const broken = join(dir, "broken");
    mkdirSync(broken);
    const text = readFileSync(join(REPO_ROOT, "docker-compose.yml"), "utf8");
    assert.ok(text.includes("condition: service_healthy"));
    writeFileSync(
      join(broken, "docker-compose.yml"),
      text.replace("condition: service_healthy", "condition: service_ready"),
    );
    const bad = await ran("docker-compose", ["config", "-q"], { cwd: broken });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /service_ready/);
  });

  it("Prosody, AlertBot and an agent, each with a health check, secrets from files and data in named volumes", () => {
    assert.deepEqual(Object.keys(compose.services).sort(), ["agent-web1", "alertbot", "prosody"]);
    for (const [name, service] of Object.entries(compose.services)) {
      assert.ok(service.healthcheck?.test.length, `${name} has a health check`);
      assert.ok(
        service.build && existsSync(join(service.build.context, service.build.dockerfile)),
        `${name} is built from a Dockerfile in the repository`,
      );
      assert.ok(service.secrets?.length, `${name} gets its secrets from compose`);
      const named = (service.volumes ?? []).filter((v) => !v.startsWith("/"));
      assert.equal(named.length, 1, `${name} keeps its data in one named volume`);
      assert.ok(named[0]!.split(":")[0]! in compose.volumes);
      for (const s of service.secrets ?? [])
        assert.ok(
          compose.secrets[s.source]?.file.startsWith(join(REPO_ROOT, "docker", "secrets")),
          `${name}: secret ${s.source} is a file under docker/secrets/`,
        );
    }
    assert.equal(compose.services["alertbot"]!.depends_on?.["prosody"]?.condition, "service_healthy");
    assert.match(
      readFileSync(join(REPO_ROOT, ".gitignore"), "utf8"),
      /^docker\/secrets\/$/m,
      "the secrets never go into git",
    );
  });

  it("the images' entry points are the package's commands, the same the packaging test installs and runs", () => {
    const expected: Record<string, string> = { alertbot: "mauve-alertbot", "agent-web1": "mauve-agent" };
    for (const [name, bin] of Object.entries(expected)) {
      const build = compose.services[name]!.build!;
      const { entrypoint, cmd } = stageCommands(join(build.context, build.dockerfile), build.target);
      assert.deepEqual(entrypoint, [bin], `${name}'s image runs ${bin}`);
      assert.ok(bin in pkg.bin, `${bin} is one of package.json's bins`);
      assert.deepEqual(compose.services[name]!.command, cmd, `${name}: compose's command is the image's CMD`);
    }
    // The image installs the tarball that `npm pack` makes, as docs/operations.md's Installing says.
    const dockerfile = readFileSync(join(REPO_ROOT, "docker", "Dockerfile"), "utf8");
    assert.match(dockerfile, /npm pack --pack-destination \/tmp/);
    assert.match(dockerfile, /npm install -g --prefix \/opt\/mauve .*\/tmp\/mauve-xmpp-\*\.tgz/);
    assert.match(dockerfile, /ENV PATH=\/opt\/mauve\/bin:\$PATH/);
  });

  it("the mounted YAML passes each command's --check-config, its secrets being the service's compose secrets", async () => {
    const secrets = join(dir, "secrets");
    mkdirSync(secrets);
    const cases: Array<[string, string]> = [
      ["alertbot", "bots/alertbot.ts"],
      ["agent-web1", "agents/mauve-agent.ts"],
    ];
    for (const [name, entry] of cases) {
      const service = compose.services[name]!;
      const configPath = service.command![service.command!.indexOf("--config") + 1]!;
      const mount = service.volumes!.find((v) => v.split(":")[1] === configPath);
      assert.ok(mount, `${name}: ${configPath} is mounted from the repository`);
      const text = readFileSync(mount.split(":")[0]!, "utf8");
      const used = [...text.matchAll(/\/run\/secrets\/([\w-]+)/g)].map((m) => m[1]!);
      assert.ok(used.length > 0, `${name} reads a secret`);
      for (const s of used) {
        assert.ok(
          service.secrets!.some((x) => x.source === s),
          `${name} is given the secret ${s} it reads`,
        );
        writeFileSync(join(secrets, s), "not-a-real-secret\n", { mode: 0o600 });
      }
      const local = join(dir, `${name}.yaml`);
      writeFileSync(local, text.replaceAll("/run/secrets/", `${secrets}/`));
      const check = await ran(process.execPath, ["--import", "tsx", entry, "--config", local, "--check-config"]);
      assert.equal(check.code, 0, `${name}: ${entry} --check-config on the mounted YAML:\n${check.stderr}`);
    }
  });

  it("Prosody accepts its config and creates the accounts of the agents compose runs", async () => {
    const prosody = compose.services["prosody"]!;
    const agents = (prosody.environment?.["MAUVE_AGENTS"] ?? "").split(/\s+/).filter(Boolean);
    assert.deepEqual(agents, ["web1"]);
    for (const agent of agents)
      assert.ok(
        prosody.secrets!.some((s) => s.source === `${agent}_password`),
        `prosody gets ${agent}_password`,
      );
    const agentYaml = parse(readFileSync(join(REPO_ROOT, "docker", "agent.yaml"), "utf8")) as {
      xmpp: { jid: string; password_file: string };
    };
    assert.equal(agentYaml.xmpp.jid, `web1@${prosody.environment!["MAUVE_DOMAIN"]}`);
    assert.equal(
      agentYaml.xmpp.password_file,
      "/run/secrets/web1_password",
      "the agent reads the password Prosody registered",
    );

    // prosodyctl reads the config as the prosody user: a world-readable copy with local paths.
    const pdir = join(dir, "prosody");
    mkdirSync(join(pdir, "certs"), { recursive: true });
    chmodSync(dir, 0o755);
    chmodSync(pdir, 0o755);
    const cfg = readFileSync(join(REPO_ROOT, "docker", "prosody", "prosody.cfg.lua"), "utf8")
      .replaceAll("/run/secrets/", `${pdir}/`)
      .replaceAll("/var/lib/prosody", pdir)
      .replaceAll("/run/prosody/", `${pdir}/`);
    writeFileSync(join(pdir, "prosody.cfg.lua"), cfg, { mode: 0o644 });
    const checkConfig = (): Promise<Ran> =>
      ran("prosodyctl", ["--config", join(pdir, "prosody.cfg.lua"), "check", "config"]);
    // Without the component secret the config does not load: the secret really is read from the file.
    const missing = await checkConfig();
    assert.notEqual(missing.code, 0, "no secret, no config");
    writeFileSync(join(pdir, "component_secret"), "not-a-real-secret\n", { mode: 0o644 });
    const ok = await checkConfig();
    assert.equal(ok.code, 0, `prosodyctl check config:\n${ok.stdout}${ok.stderr}`);
    copyFileSync(join(REPO_ROOT, "docker", "prosody", "entrypoint.sh"), join(pdir, "entrypoint.sh"));
    assert.equal((await ran("sh", ["-n", join(pdir, "entrypoint.sh")])).code, 0, "the entry point script parses");
  });

  describe("the health checks, against real sockets", () => {
    let server: Server;
    let port: number;
    const open: Socket[] = [];
    before(async () => {
      server = createServer((s) => open.push(s));
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      port = (server.address() as { port: number }).port;
    });
    after(async () => {
      for (const s of open) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    });

    it("healthcheck.mjs (AlertBot, agent): healthy while connected to the port, unhealthy when not", async () => {
      const check = (p: number): Promise<Ran> =>
        ran(process.execPath, [join(REPO_ROOT, "docker", "healthcheck.mjs"), String(p)]);
      for (const name of ["alertbot", "agent-web1"]) {
        assert.deepEqual(compose.services[name]!.healthcheck!.test.slice(0, 3), [
          "CMD",
          "node",
          "/opt/mauve/healthcheck.mjs",
        ]);
      }
      assert.equal((await check(port)).code, 1, "no connection yet");
      const client = connect(port, "127.0.0.1");
      await new Promise((resolve) => client.once("connect", resolve));
      try {
        assert.equal((await check(port)).code, 0, "connected");
      } finally {
        client.destroy();
      }
      assert.equal((await check(0)).code, 2, "a bad port is a usage error");
    });

    it("Prosody's check: healthy when both ports listen, unhealthy when one does not", async () => {
      const test = compose.services["prosody"]!.healthcheck!.test;
      assert.deepEqual(test.slice(0, 3), ["CMD", "bash", "-c"]);
      const script = test[3]!;
      assert.match(script, /\/5222\b/);
      assert.match(script, /\/5347\b/);
      const closed = await new Promise<number>((resolve) => {
        const s = createServer().listen(0, "127.0.0.1", () => {
          const p = (s.address() as { port: number }).port;
          s.close(() => resolve(p));
        });
      });
      const both = script.replaceAll("5222", String(port)).replaceAll("5347", String(port));
      assert.equal((await ran("bash", ["-c", both])).code, 0);
      const one = script.replaceAll("5222", String(port)).replaceAll("5347", String(closed));
      assert.notEqual((await ran("bash", ["-c", one])).code, 0);
    });
  });
});
