// mauve-agent --help and the systemd unit must stay true to the code and the config.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const agent = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", "agents/mauve-agent.ts", ...args], { cwd: ROOT, encoding: "utf8" });

describe("mauve-agent --help and its systemd unit", function () {
  this.timeout(30_000);
  let help: ReturnType<typeof agent>;
  before(() => {
    help = agent("--help");
  });
  const unit = readFileSync(new URL("../../systemd/mauve-agent.service", import.meta.url), "utf8");
  const settings = (key: string): string[] => [...unit.matchAll(new RegExp(`^${key}=(.*)$`, "gm"))].map((m) => m[1] ?? "");

  it("prints help on stdout and exits 0", () => {
    assert.equal(help.status, 0);
    assert.match(help.stdout, /^Usage: mauve-agent \[--config FILE\] \[--check-config\]/);
  });

  it("names every top-level key of examples/agent.yaml that changes what the agent does", () => {
    const keys = Object.keys(parse(readFileSync(new URL("../../examples/agent.yaml", import.meta.url), "utf8")) as object);
    for (const key of keys.filter((k) => !["xmpp", "source", "state_dir", "log"].includes(k))) assert.match(help.stdout, new RegExp(`\\b${key}\\b`), key);
    assert.match(help.stdout, /max_entries/);
  });

  it("runs, as installed, with node flags from its #! line that this Node takes without a warning", () => {
    const shebang = readFileSync(new URL("../../agents/mauve-agent.ts", import.meta.url), "utf8").split("\n", 1)[0] ?? "";
    const match = /^#!\/usr\/bin\/env -S node((?: --[a-z-]+)*)$/.exec(shebang);
    assert.ok(match, `an env -S node line: ${shebang}`);
    const flags = match[1]!.trim().split(" ").filter(Boolean);
    assert.ok(flags.includes("--lite-mode"), "the flag its idle memory depends on");
    const run = spawnSync(process.execPath, [...flags, "-e", "process.stdout.write('ok')"], { encoding: "utf8" });
    assert.deepEqual([run.status, run.stdout, run.stderr], [0, "ok", ""]);
  });

  it("rejects an unknown option with status 2", () => {
    assert.equal(agent("--frobnicate").status, 2);
  });

  it("has a hardened unit whose command lines use options mauve-agent has", () => {
    for (const line of [...settings("ExecStart"), ...settings("ExecStartPre")]) {
      for (const option of line.match(/--[a-z-]+/g) ?? []) assert.match(help.stdout, new RegExp(`${option}\\b`), option);
    }
    const expected: Record<string, string> = {
      DynamicUser: "yes", StateDirectory: "mauve-agent", ProtectSystem: "strict", NoNewPrivileges: "yes",
      PrivateTmp: "yes", CapabilityBoundingSet: "", RestartPreventExitStatus: "78", KillMode: "mixed",
    };
    for (const [key, value] of Object.entries(expected)) assert.deepEqual(settings(key), [value], key);
  });

  it("passes systemd-analyze verify (apart from the binary not being installed here)", function () {
    const check = spawnSync("systemd-analyze", ["verify", fileURLToPath(new URL("../../systemd/mauve-agent.service", import.meta.url))], { encoding: "utf8" });
    if (check.error) this.skip();
    const problems = check.stderr.split("\n").filter((l) => l.trim() !== "" && !/Command \S+ is not executable/.test(l));
    assert.deepEqual(problems, []);
  });
});
