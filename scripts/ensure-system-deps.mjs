#!/usr/bin/env node
// Runs before `npm test`, `npm run demo` and `npm run bench`: checks Node's version and the Debian packages
// the project shells out to (Prosody and its SQLite driver, ejabberd, protoc, openssl, docker-compose, Alertmanager), installing
// them when root with apt-get, else printing the exact command. Plain Node, no dependencies, and
// fast when all is present: it spawns nothing unless something is missing.
import { spawnSync } from "node:child_process";
import { accessSync, constants, readdirSync } from "node:fs";
import { delimiter, join } from "node:path";

const MIN_NODE = [20, 19];

function onPath(command) {
  return (process.env.PATH ?? "").split(delimiter).some((dir) => {
    if (dir === "") return false;
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

// Packages without a binary to look for are asked of dpkg's database; no dpkg, no answer.
function dpkgHas(pkg) {
  let files;
  try {
    files = readdirSync("/var/lib/dpkg/info");
  } catch {
    return true;
  }
  return files.some((f) => f === `${pkg}.list` || (f.startsWith(`${pkg}:`) && f.endsWith(".list")));
}

const checks = [
  // mod_smacks (XEP-0198) ships in Prosody 0.12's core: prosody-modules is not needed.
  { pkg: "prosody", present: () => onPath("prosody") && onPath("prosodyctl") },
  { pkg: "lua-dbi-sqlite3", present: () => dpkgHas("lua-dbi-sqlite3") },
  // The second server the integration suite runs on (ejabberd/launcher.ts runs erl itself).
  { pkg: "ejabberd", present: () => dpkgHas("ejabberd") && onPath("erl"), service: "ejabberd" },
  // ejabberd's SQLite driver: the private ejabberd's storage: "sql" (test/integration/ejabberd-sql.test.ts).
  { pkg: "erlang-p1-sqlite3", present: () => dpkgHas("erlang-p1-sqlite3") },
  { pkg: "protobuf-compiler", present: () => onPath("protoc") },
  // Makes the certificates of a private Prosody run with TLS (prosody/tls.ts).
  { pkg: "openssl", present: () => onPath("openssl") },
  // Validates docker-compose.yml in the tests (no container engine is needed for that).
  { pkg: "docker-compose", present: () => onPath("docker-compose") },
  // The real Alertmanager that the webhook receiver's tests send alerts through.
  { pkg: "prometheus-alertmanager", present: () => onPath("prometheus-alertmanager") },
  // The real browser the web board's tests drive (playwright-core, pointed at the system's chromium).
  { pkg: "chromium", present: () => onPath("chromium") },
  // A Jabber client of another make than xmpp.js, for the tests (test/clients/slixmpp-person.py);
  // Debian's python3 runs it, whatever python3 comes first on PATH.
  { pkg: "python3-slixmpp", present: () => dpkgHas("python3-slixmpp") },
];

function fail(message) {
  console.error(`ensure-system-deps: ${message}`);
  process.exit(1);
}

const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
if (major < MIN_NODE[0] || (major === MIN_NODE[0] && minor < MIN_NODE[1])) {
  fail(
    `Node ${MIN_NODE.join(".")} or newer is needed (this is ${process.versions.node}): @xmpp/client and better-sqlite3 require it.`,
  );
}

const missing = checks.filter((c) => !c.present()).map((c) => c.pkg);
if (missing.length > 0) {
  const install = `apt-get install -y ${missing.join(" ")}`;
  if (process.getuid?.() !== 0 || !onPath("apt-get")) {
    fail(`missing ${missing.join(", ")}. Install with:\n  sudo apt-get update && sudo ${install}`);
  }
  console.error(`ensure-system-deps: installing ${missing.join(", ")}`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  for (const args of [["update"], ["install", "-y", ...missing]]) {
    const result = spawnSync("apt-get", args, { stdio: "inherit", env });
    if (result.status !== 0) fail(`apt-get ${args.join(" ")} failed (exit ${result.status}); try: ${install}`);
  }
  // Packages that start a system service on install (ejabberd on 5222): the tests run their own
  // private servers and never rely on it, so it is stopped rather than left running.
  for (const c of checks.filter((c) => c.service && missing.includes(c.pkg))) {
    for (const [cmd, args] of [
      ["systemctl", ["stop", c.service]],
      ["service", [c.service, "stop"]],
    ]) {
      if (!onPath(cmd)) continue;
      spawnSync(cmd, args, { stdio: "ignore" });
      break;
    }
  }
  const still = checks.filter((c) => !c.present()).map((c) => c.pkg);
  if (still.length > 0) fail(`still missing after ${install}: ${still.join(", ")}`);
}
