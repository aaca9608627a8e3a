// SIGHUP while an entry point is still loading its modules: ESM loads and evaluates every static
// import before a module's first statement, which took a second or more on a loaded host, and a
// SIGHUP then (`systemctl reload` right after a start: ExecReload=kill -HUP) met Node's default
// and ended the process. The built entry points run as processes, each with a module hook that
// holds the loading of every other module of the build until the test has sent its SIGHUPs: what
// came in a race becomes certain. Each must go on: the agent says what SIGHUP does for it and runs,
// AlertBot reloads once running, mauvesend finishes its send.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { ChildRun, REPO_ROOT } from "../helpers/process-child.js";
import { BOT_SECRET_ENV, startBotProcess, writeBotConfig } from "../helpers/process-bot.js";
import { withProsody } from "../helpers/prosody.js";
import { tempDir, writeFlagAgentConfig } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";

const run = promisify(execFile);

// Module hooks (node:module register): every module of the build but the entry point and
// early-hangups.js waits for the file `release`; the first to wait writes the file `held`.
const HOOKS = `
import { existsSync, writeFileSync } from "node:fs";
let dir;
export function initialize(data) { dir = data; }
export async function load(url, context, nextLoad) {
  if (url.startsWith(dir.build) && url !== dir.entry && !url.endsWith("/early-hangups.js")) {
    if (!existsSync(dir.held)) writeFileSync(dir.held, url);
    while (!existsSync(dir.release)) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return nextLoad(url, context);
}
`;

describe("fault: SIGHUP while an entry point loads its modules", function () {
  this.timeout(180_000);
  const server = withProsody();
  let dir: string;
  let build: string;
  const runs: ChildRun[] = [];

  before(async function () {
    this.timeout(300_000);
    dir = tempDir("mauve-hangup-loading-");
    build = join(dir, "build");
    mkdirSync(build);
    // The build beside the repository's node_modules, as an install has its own.
    symlinkSync(join(REPO_ROOT, "node_modules"), join(build, "node_modules"));
    await run(
      process.execPath,
      [
        join(REPO_ROOT, "node_modules/typescript/bin/tsc"),
        "-p",
        "tsconfig.build.json",
        "--outDir",
        join(build, "dist"),
      ],
      {
        cwd: REPO_ROOT,
      },
    );
    writeFileSync(join(dir, "hooks.mjs"), HOOKS);
  });
  afterEach(async () => {
    for (const r of runs.splice(0)) await r.stop();
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Starts the built `entry` held at its loading; resolves once it is held there, SIGHUPs sent. */
  async function startHeld(
    name: string,
    entry: string,
    args: string[],
    env: Record<string, string>,
  ): Promise<{ child: ChildRun; release: () => void }> {
    const path = join(build, "dist", entry);
    const gate = {
      build: pathToFileURL(join(build, "dist")).href + "/",
      entry: pathToFileURL(path).href,
      held: join(dir, `${name}.held`),
      release: join(dir, `${name}.release`),
    };
    const register = join(dir, `${name}-register.mjs`);
    writeFileSync(
      register,
      `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(join(dir, "hooks.mjs")).href)}, { data: ${JSON.stringify(gate)} });\n`,
    );
    const child = ChildRun.command(
      process.execPath,
      ["--import", pathToFileURL(register).href, path, ...args],
      dir,
      env,
      name,
    );
    runs.push(child);
    await waitFor(
      `${name} held at its loading`,
      () => {
        if (child.hasExited)
          throw new Error(`${name} exited before loading: ${JSON.stringify(child.exitStatus)}\n${child.stderr}`);
        return existsSync(gate.held);
      },
      60_000,
    );
    for (let i = 0; i < 3; i++) child.signal("SIGHUP");
    return { child, release: () => writeFileSync(gate.release, "") };
  }

  it("mauve-agent logs what SIGHUP does for it, runs, and stops with 0", async () => {
    const t = server();
    const { config } = await writeFlagAgentConfig(t, tempDir("mauve-hangup-agent-"));
    const { child, release } = await startHeld("mauve-agent", "agents/mauve-agent.js", ["--config", config], {});
    release();
    const said = "SIGHUP ignored: mauve-agent reads its configuration only at start; restart it to apply a change";
    const early = await child.waitForLog("the SIGHUP held while loading", (l) => l["msg"] === said, 60_000);
    assert.ok(Number(early["whileLoading"]) >= 1, JSON.stringify(early));
    await child.waitForLog("the agent to run", (l) => l["msg"] === "mauve-agent running", 60_000);
    assert.deepEqual(await child.stop(), { code: 0, signal: null });
  });

  it("mauve-alertbot reloads its configuration once running, and stops with 0", async () => {
    const t = server();
    const botDir = tempDir("mauve-hangup-bot-");
    const config = writeBotConfig(t, botDir, `people:\n  - { name: alice, jid: alice@${t.prosody.domain} }\n`);
    const { child, release } = await startHeld("mauve-alertbot", "bots/alertbot.js", ["--config", config], {
      [BOT_SECRET_ENV]: t.botSecret,
    });
    release();
    const running = await child.waitForLog("AlertBot running", (l) => l["msg"] === "AlertBot running", 60_000);
    await child.waitForLog(
      "the held SIGHUP's reload",
      (l) => l["msg"] === "reloading the configuration",
      60_000,
      child.logs.indexOf(running),
    );
    assert.deepEqual(await child.stop(), { code: 0, signal: null });
  });

  it("mauvesend finishes its send and exits 0", async () => {
    const t = server();
    const p = t.prosody;
    await p.register("web1", "pw-web1");
    // AlertBot sets up the node mauvesend publishes to.
    runs.push(
      await startBotProcess(
        t,
        writeBotConfig(t, tempDir("mauve-hangup-send-"), `people:\n  - { name: alice, jid: alice@${p.domain} }\n`),
      ),
    );
    const env = {
      MAUVE_XMPP_JID: `web1@${p.domain}`,
      MAUVE_XMPP_PASSWORD: "pw-web1",
      MAUVE_XMPP_SERVICE: `xmpp://127.0.0.1:${p.c2sPort}`,
      MAUVE_XMPP_PUBSUB: p.pubsubJid,
      MAUVE_XMPP_BOT: p.botJid,
    };
    const { child, release } = await startHeld(
      "mauvesend",
      "agents/mauvesend.js",
      ["-o", "web1", "-i", "backup", "-s", "nightly backup ok", "-c", "now"],
      env,
    );
    release();
    child.signal("SIGHUP");
    assert.deepEqual(await child.waitForExit("mauvesend to end"), { code: 0, signal: null }, child.stderr);
    const bot = runs.find((r) => r.label === "alertbot")!;
    await bot.waitForLog("the update applied", (l) => l["msg"] === "update applied" && l["source"] === "web1", 30_000);
  });
});
