// mauve-agent's and mauve-alertbot's --help and their systemd units must stay true to the code and the config.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const run = (entry: string, ...args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", entry, ...args], { cwd: ROOT, encoding: "utf8" });
const agent = (...args: string[]) => run("agents/mauve-agent.ts", ...args);
const unitPath = (name: string): string => fileURLToPath(new URL(`../../systemd/${name}`, import.meta.url));
/** Every value of `key=` in a unit file, in order. */
const unitSettings = (unit: string, key: string): string[] =>
  [...unit.matchAll(new RegExp(`^${key}=(.*)$`, "gm"))].map((m) => m[1] ?? "");

/** What both units must say about restarting: every end but a bad configuration is restarted, forever. */
function assertRestartsOnAnyUnexpectedExit(unit: string): void {
  assert.deepEqual(
    unitSettings(unit, "Restart"),
    ["always"],
    "Restart: the entry points exit 0 only on a signal, so a 0 systemctl did not ask for is unexpected too",
  );
  assert.deepEqual(unitSettings(unit, "RestartPreventExitStatus"), ["78"], "RestartPreventExitStatus");
  assert.deepEqual(unitSettings(unit, "StartLimitIntervalSec"), ["0"], "StartLimitIntervalSec");
  assert.ok(
    unit.indexOf("StartLimitIntervalSec=") < unit.indexOf("[Service]"),
    "StartLimitIntervalSec belongs to [Unit]",
  );
  assert.deepEqual(
    unitSettings(unit, "Type"),
    ["exec"],
    "Type (no maintained sd_notify library without native code: see docs/reliability.md)",
  );
}

/** systemd-analyze verify's complaints, apart from the binary not being installed here; null if it is not available. */
function verify(name: string): string[] | null {
  const check = spawnSync("systemd-analyze", ["verify", unitPath(name)], { encoding: "utf8" });
  if (check.error) return null;
  return check.stderr.split("\n").filter((l) => l.trim() !== "" && !/Command \S+ is not executable/.test(l));
}

describe("mauve-agent --help and its systemd unit", function () {
  this.timeout(30_000);
  let help: ReturnType<typeof agent>;
  before(() => {
    help = agent("--help");
  });
  const unit = readFileSync(unitPath("mauve-agent.service"), "utf8");
  const settings = (key: string): string[] => unitSettings(unit, key);

  it("prints help on stdout and exits 0", () => {
    assert.equal(help.status, 0);
    assert.match(help.stdout, /^Usage: mauve-agent \[--config FILE\] \[--check-config\]/);
    for (const status of ["0", "1", "2", "70", "78"])
      assert.match(help.stdout, new RegExp(`\\b${status} [a-z]`), `exit status ${status}`);
  });

  it("names every top-level key of examples/agent.yaml that changes what the agent does", () => {
    const keys = Object.keys(
      parse(readFileSync(new URL("../../examples/agent.yaml", import.meta.url), "utf8")) as object,
    );
    for (const key of keys.filter((k) => !["xmpp", "source", "state_dir", "log"].includes(k)))
      assert.match(help.stdout, new RegExp(`\\b${key}\\b`), key);
    assert.match(help.stdout, /max_entries/);
  });

  it("runs, as installed, with node flags from its #! line that this Node takes without a warning", () => {
    const shebang =
      readFileSync(new URL("../../agents/mauve-agent.ts", import.meta.url), "utf8").split("\n", 1)[0] ?? "";
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
      for (const option of line.match(/--[a-z-]+/g) ?? [])
        assert.match(help.stdout, new RegExp(`${option}\\b`), option);
    }
    const expected: Record<string, string> = {
      DynamicUser: "yes",
      StateDirectory: "mauve-agent",
      ProtectSystem: "strict",
      NoNewPrivileges: "yes",
      PrivateTmp: "yes",
      CapabilityBoundingSet: "",
      RestartPreventExitStatus: "78",
      KillMode: "mixed",
    };
    for (const [key, value] of Object.entries(expected)) assert.deepEqual(settings(key), [value], key);
    assertRestartsOnAnyUnexpectedExit(unit);
  });

  it("passes systemd-analyze verify (apart from the binary not being installed here)", function () {
    const problems = verify("mauve-agent.service");
    if (problems === null) this.skip();
    assert.deepEqual(problems, []);
  });
});

describe("mauve-alertbot --help and its systemd unit", function () {
  this.timeout(30_000);
  let help: ReturnType<typeof run>;
  before(() => {
    help = run("bots/alertbot.ts", "--help");
  });
  const unit = readFileSync(unitPath("mauve-alertbot.service"), "utf8");
  const settings = (key: string): string[] => unitSettings(unit, key);

  it("prints help on stdout and exits 0, naming the exit statuses and SIGHUP", () => {
    assert.equal(help.status, 0);
    assert.match(help.stdout, /^Usage: mauve-alertbot \[--config FILE\] \[--check-config\]/);
    for (const status of ["0", "1", "2", "70", "78"])
      assert.match(help.stdout, new RegExp(`\\b${status} [a-z]`), `exit status ${status}`);
    assert.match(help.stdout, /SIGHUP reloads/);
  });

  it("has a hardened unit whose command lines use options mauve-alertbot has", () => {
    for (const line of [...settings("ExecStart"), ...settings("ExecStartPre")]) {
      for (const option of line.match(/--[a-z-]+/g) ?? [])
        assert.match(help.stdout, new RegExp(`${option}\\b`), option);
    }
    const expected: Record<string, string> = {
      DynamicUser: "yes",
      StateDirectory: "mauve-alertbot",
      StateDirectoryMode: "0700",
      ProtectSystem: "strict",
      NoNewPrivileges: "yes",
      PrivateTmp: "yes",
      CapabilityBoundingSet: "",
      ExecReload: "/bin/kill -HUP $MAINPID",
    };
    for (const [key, value] of Object.entries(expected)) assert.deepEqual(settings(key), [value], key);
    assertRestartsOnAnyUnexpectedExit(unit);
  });

  it("gets its secret as a credential, at the path the install notes give the config, and keeps its database in its StateDirectory", () => {
    const [credential = ""] = settings("LoadCredential");
    const [id, source] = credential.split(":");
    assert.equal(source, "/etc/mauve/alertbot.secret");
    assert.match(unit, new RegExp(`secret_file: /run/credentials/mauve-alertbot\\.service/${id}\\b`));
    const example = parse(readFileSync(new URL("../../examples/alertbot.yaml", import.meta.url), "utf8")) as {
      database: string;
    };
    assert.match(
      example.database,
      /^\/var\/lib\/mauve-alertbot\//,
      "the example's database is where the unit can write",
    );
    assert.match(unit, new RegExp(`database: ${example.database.replace(/\./g, "\\.")}`));
  });

  it("passes systemd-analyze verify (apart from the binary not being installed here)", function () {
    const problems = verify("mauve-alertbot.service");
    if (problems === null) this.skip();
    assert.deepEqual(problems, []);
  });
});
