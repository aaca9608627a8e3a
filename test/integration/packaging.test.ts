// Installs like real software: `npm pack` (which builds dist/ through `prepack`), then a global
// install of that tarball into a private prefix, then the installed commands run as a user's shell
// runs them (their own `#!` lines, no tsx, from a directory outside the repository), up to a
// whole bus: the installed mauve-alertbot and mauve-agent against a real Prosody, an alert from
// the agent and one from the installed mauvesend reaching a person.
//
// The install compiles better-sqlite3 from source: minutes on a loaded machine, hence the
// timeouts. npm's cache (filled by `npm ci`) serves the dependencies when it can.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync, readdirSync, realpathSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT, ChildRun } from "../helpers/process-child.js";
import { BOT_SECRET_ENV, writeBotConfig } from "../helpers/process-bot.js";
import { withProsody } from "../helpers/prosody.js";
import { agentYaml, PersonClient, tempDir } from "../helpers/spine.js";

const run = promisify(execFile);
const INSTALL_TIMEOUT_MS = 20 * 60_000;

interface PackageJson {
  bin: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as PackageJson;

describe("packaging: npm pack, a global install, and the installed commands", function () {
  this.timeout(120_000);
  let dir: string;
  let prefix: string;
  let packed: string[] = [];
  /** The environment of a user's shell on a machine with only Node and this package. */
  let userEnv: Record<string, string>;
  const bin = (name: string): string => join(prefix, "bin", name);

  /** Runs an installed command to its end; never rejects on a non-zero exit (the tests check it). */
  async function installed(
    name: string,
    args: string[],
    env: Record<string, string> = {},
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await run(bin(name), args, { cwd: dir, env: { ...userEnv, ...env }, timeout: 60_000 });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: unknown; stdout?: string; stderr?: string };
      if (typeof e.code !== "number") throw err;
      return { code: e.code, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
    }
  }

  before(async function () {
    this.timeout(INSTALL_TIMEOUT_MS);
    dir = tempDir("mauve-packaging-");
    prefix = join(dir, "prefix");
    const npmEnv = { ...process.env, NODE_OPTIONS: "" };
    const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", dir], {
      cwd: REPO_ROOT,
      env: npmEnv,
      maxBuffer: 64 << 20,
    });
    const [info] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    assert.ok(info, "npm pack describes the tarball it wrote");
    packed = info.files.map((f) => f.path);
    await run(
      "npm",
      [
        "install",
        "--global",
        "--prefix",
        prefix,
        "--prefer-offline",
        "--no-audit",
        "--no-fund",
        join(dir, info.filename),
      ],
      {
        cwd: dir,
        env: npmEnv,
        maxBuffer: 64 << 20,
      },
    );
    userEnv = {
      PATH: [join(prefix, "bin"), dirname(process.execPath), "/usr/bin", "/bin"].join(delimiter),
      NODE_OPTIONS: "",
      NODE_PATH: "",
    };
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("the tarball holds compiled JavaScript only; every bin is in it; tsx is not a runtime dependency", () => {
    assert.deepEqual(Object.keys(pkg.bin).sort(), ["mauve-agent", "mauve-alertbot", "mauvesend"]);
    for (const [name, path] of Object.entries(pkg.bin)) {
      assert.match(path, /^dist\/.*\.js$/, `${name} runs compiled JavaScript`);
      assert.ok(packed.includes(path), `${name}'s ${path} is in the tarball`);
    }
    assert.deepEqual(
      packed.filter((p) => /\.(ts|mts|cts)$/.test(p) && !p.endsWith(".d.ts")),
      [],
      "no TypeScript source in the tarball",
    );
    assert.ok(!("tsx" in pkg.dependencies), "tsx is a development tool only");
    assert.ok("tsx" in pkg.devDependencies);
    const modules = join(prefix, "lib", "node_modules", "mauve-xmpp", "node_modules");
    assert.ok(
      !existsSync(join(modules, "tsx")) && !existsSync(join(modules, "typescript")),
      "the install brings no TypeScript tooling",
    );
    assert.ok(readdirSync(modules).includes("better-sqlite3"));
  });

  it("every installed command is on PATH and answers --help", async () => {
    for (const name of Object.keys(pkg.bin)) {
      const ran = await installed(name, ["--help"]);
      assert.equal(ran.code, 0, `${name} --help exits 0:\n${ran.stderr}`);
      assert.match(ran.stdout, new RegExp(`^Usage: ${name} `), `${name} --help prints its usage`);
    }
  });

  it("the installed mauve-agent and mauve-alertbot start through their own #! lines, flags and all", async () => {
    const lines = {
      "mauve-agent": "#!/usr/bin/env -S node --lite-mode --no-expose-wasm",
      "mauve-alertbot": "#!/usr/bin/env -S node --max-semi-space-size=4",
    };
    for (const [name, line] of Object.entries(lines)) {
      const [shebang] = readFileSync(realpathSync(bin(name)), "utf8").split("\n");
      assert.equal(shebang, line, name);
      // Run as a file (exec), not through `node FILE`: the kernel reads that line, and env -S
      // hands the flags to node, which would refuse an unknown one.
      const ran = await installed(name, ["--help"]);
      assert.equal(ran.code, 0, `${name}: ${ran.stderr}`);
      assert.equal(ran.stderr, "", `${name}: no V8 warning about the flags`);
    }
  });

  it("--check-config accepts the shipped examples, and refuses a bad file with exit 78", async () => {
    const examples = join(prefix, "lib", "node_modules", "mauve-xmpp", "examples");
    const bot = await installed("mauve-alertbot", ["--config", join(examples, "alertbot.yaml"), "--check-config"], {
      ALERTBOT_COMPONENT_SECRET: "s3cret",
      MAUVE_SMTP_PASSWORD: "smtp-pw",
      TWILIO_AUTH_TOKEN: "token",
    });
    assert.equal(bot.code, 0, `mauve-alertbot --check-config examples/alertbot.yaml:\n${bot.stderr}`);
    const passwordFile = join(dir, "agent.password");
    writeFileSync(passwordFile, "pw\n", { mode: 0o600 });
    const agentConfig = join(dir, "example-agent.yaml");
    writeFileSync(
      agentConfig,
      readFileSync(join(examples, "agent.yaml"), "utf8").replace("/etc/mauve/agent.password", passwordFile),
    );
    const agent = await installed("mauve-agent", ["--config", agentConfig, "--check-config"]);
    assert.equal(agent.code, 0, `mauve-agent --check-config examples/agent.yaml:\n${agent.stderr}`);
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, "xmpp: [\n");
    const refused = await installed("mauve-alertbot", ["--config", bad, "--check-config"]);
    assert.equal(refused.code, 78, refused.stderr);
    assert.match(refused.stderr, /bad\.yaml/);
  });

  describe("the installed commands as a bus, against a real Prosody", function () {
    const server = withProsody();
    let bot: ChildRun | undefined;
    let agent: ChildRun | undefined;
    let alice: PersonClient | undefined;

    after(async () => {
      await alice?.stop().catch(() => undefined);
      await agent?.stop();
      await bot?.stop();
    });
    afterEach(function () {
      if (this.currentTest?.state !== "failed") return;
      for (const p of [bot, agent])
        if (p) process.stderr.write(`\n--- ${p.label} stderr (tail) ---\n${p.stderr.slice(-6000)}\n---\n`);
    });

    it("mauve-alertbot and mauve-agent run; the agent's alert and mauvesend's reach a person; SIGTERM ends both with 0", async () => {
      const t = server();
      const d = t.prosody.domain;
      const botConfig = writeBotConfig(t, dir, `people:\n  - { name: alice, jid: alice@${d} }\n`, "bus-alertbot.yaml");
      await t.prosody.register("web1", "pw-web1");
      const agentConfig = join(dir, "bus-agent.yaml");
      writeFileSync(
        agentConfig,
        agentYaml(
          t,
          dir,
          "web1",
          "alerts:\n  - { id: disk-full, summary: installed agent says disk full, state: raised }\n",
        ),
      );
      alice = await PersonClient.login(t, "alice");

      bot = ChildRun.command(
        bin("mauve-alertbot"),
        ["--config", botConfig],
        dir,
        { ...userEnv, [BOT_SECRET_ENV]: t.botSecret },
        "installed mauve-alertbot",
      );
      await bot.waitForLog("the installed bot to run", (l) => l["msg"] === "AlertBot running", 60_000);
      agent = ChildRun.command(bin("mauve-agent"), ["--config", agentConfig], dir, userEnv, "installed mauve-agent");
      await agent.waitForLog("the installed agent to run", (l) => l["msg"] === "mauve-agent running", 60_000);
      await alice.expect(/RAISED .*installed agent says disk full/, 60_000);

      await t.prosody.register("web9", "pw-web9");
      const sent = await installed(
        "mauvesend",
        ["-o", "web9", "-i", "load", "-s", "installed mauvesend says load high", "-r", "now"],
        {
          MAUVE_XMPP_JID: `web9@${d}`,
          MAUVE_XMPP_PASSWORD: "pw-web9",
          MAUVE_XMPP_SERVICE: `xmpp://127.0.0.1:${t.prosody.c2sPort}`,
          MAUVE_XMPP_PUBSUB: t.prosody.pubsubJid,
          MAUVE_XMPP_BOT: t.prosody.botJid,
        },
      );
      assert.equal(sent.code, 0, sent.stderr);
      await alice.expect(/RAISED .*installed mauvesend says load high/, 60_000);

      for (const p of [agent, bot]) {
        assert.deepEqual(await p.stop(), { code: 0, signal: null }, `${p.label} stops cleanly on SIGTERM`);
      }
    });
  });
});
