// The layering of design.md "Boundaries in the code", checked by `npm run depcheck` (part of `npm test`).
// Bottom to top: leaves (util, clock, schema, errors.ts, log.ts); pure codec, alerts, policy, commands;
// I/O: store, xmpp, notify, checks, ingest (http); web (the board: reads the store, serves through http);
// config (reads YAML into the types below it);
// bot, agent, cli; entry points agents/ and bots/.
const LEAVES = "^src/(util|clock|schema)/|^src/(errors|log)\\.ts$";
const PURE = "^src/(codec|alerts|policy|commands|util|clock|schema)/";
const BELOW_CONFIG = "^src/(util|clock|schema|codec|alerts|policy|commands|store|xmpp|notify|checks|ingest|http|web)/";
const IO_MODULES = "^(node:)?(fs|fs/promises|net|dgram|child_process|http|https|http2|tls|dns|cluster|worker_threads)$";

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-barrels",
      severity: "error",
      comment:
        "No index.ts re-export files: import the module that defines a thing, so a reader sees where it lives and a barrel cannot hide a cycle.",
      from: {},
      to: { path: "^src/[^/]+/index\\.ts$" },
    },
    {
      name: "no-cycles",
      severity: "error",
      comment: "Modules must not import each other, directly or round a loop: move what both need into a lower module.",
      from: {},
      to: { circular: true },
    },
    {
      name: "sqlite-only-in-store",
      severity: "error",
      comment:
        "src/store/ is the only place with SQL: go through the store. (prosody/ reads Prosody's own database, not ours.)",
      from: { pathNot: ["^src/store/", "^prosody/"] },
      to: { path: "(^|/)node_modules/better-sqlite3/" },
    },
    {
      name: "xmpp-only-in-xmpp",
      severity: "error",
      comment: "src/xmpp/ is the only place touching @xmpp/* or XML (ltx): use its typed API.",
      from: { pathNot: "^src/xmpp/" },
      to: { path: "(^|/)node_modules/(@xmpp/|ltx/)" },
    },
    {
      name: "pure-layers-no-io",
      severity: "error",
      comment:
        "codec, alerts, policy, commands and the leaves are pure: no file system, network, processes or I/O packages.",
      from: { path: PURE },
      to: {
        path: [IO_MODULES, "(^|/)node_modules/(better-sqlite3|@xmpp|ltx|nodemailer|yaml)/"],
      },
    },
    {
      name: "pure-layers-no-io-layers",
      severity: "error",
      comment:
        "codec, alerts, policy, commands and the leaves are pure: they take data and a clock, not stores, connections or channels.",
      from: { path: PURE },
      to: { path: "^src/(store|xmpp|notify|checks|ingest|http|config|bot|agent|cli)/" },
    },
    {
      name: "pure-layers-in-order",
      severity: "error",
      comment:
        "Within the pure layers codec comes first, then alerts, then policy, then commands: none imports one above it.",
      from: { path: "^src/codec/" },
      to: { path: "^src/(alerts|policy|commands)/" },
    },
    {
      name: "pure-layers-in-order-alerts",
      severity: "error",
      comment:
        "Within the pure layers codec comes first, then alerts, then policy, then commands: none imports one above it.",
      from: { path: "^src/alerts/" },
      to: { path: "^src/(policy|commands)/" },
    },
    {
      name: "pure-layers-in-order-policy",
      severity: "error",
      comment:
        "Within the pure layers codec comes first, then alerts, then policy, then commands: none imports one above it.",
      from: { path: "^src/policy/" },
      to: { path: "^src/commands/" },
    },
    {
      name: "leaves-at-the-bottom",
      severity: "error",
      comment: "util, clock, schema, errors.ts and log.ts import nothing of ours above them.",
      from: { path: LEAVES },
      to: { path: "^src/", pathNot: LEAVES },
    },
    {
      name: "io-layers-independent",
      severity: "error",
      comment: "store, xmpp, notify and checks stand side by side: the bot or agent wires them together.",
      from: { path: "^src/(store|xmpp|notify|checks)/" },
      to: { path: "^src/(store|xmpp|notify|checks|ingest|http|web)/", pathNot: "^src/$1/" },
    },
    {
      name: "http-serving-only-in-http",
      comment: "src/http/ is the only place that serves HTTP (design.md): the server and prom-client stay behind it.",
      severity: "error",
      from: { pathNot: "^src/http/" },
      to: {
        path: ["^(node:)?(http|https|http2)$", "(^|/)node_modules/prom-client/"],
        dependencyTypesNot: ["type-only"],
      },
    },
    {
      name: "http-below-bot",
      severity: "error",
      comment:
        "src/http/ serves what the bot gives it (an apply function, gauges): it imports no store, xmpp, notify or checks.",
      from: { path: "^src/http/" },
      to: { path: "^src/(store|xmpp|notify|checks)/" },
    },
    {
      name: "web-board-reads-the-store-serves-through-http",
      severity: "error",
      comment:
        "src/web/ (the web board) renders pages from the store and hands routes to src/http/'s listener: it serves no HTTP itself (no node:http), and reaches chat, channels and the bot only through what the bot injects.",
      from: { path: "^src/web/" },
      to: { path: "^src/(xmpp|notify|checks|ingest|bot|agent|cli|config)/" },
    },
    {
      name: "web-board-above-http",
      severity: "error",
      comment: "src/http/ is below the web board: the listener knows nothing of the pages it serves.",
      from: { path: "^src/(http|store|codec|alerts|policy|commands)/" },
      to: { path: "^src/web/" },
    },
    {
      name: "config-above-what-it-configures",
      severity: "error",
      comment:
        "Lower layers declare their settings' types; src/config/ reads YAML into them, so nothing below it imports it.",
      from: { path: BELOW_CONFIG },
      to: { path: "^src/config/" },
    },
    {
      name: "bot-agent-cli-on-top",
      severity: "error",
      comment:
        "bot, agent and cli are the applications: nothing below imports them, and they do not import each other.",
      from: { path: "^src/([^/]+)" },
      to: { path: "^src/(bot|agent|cli)/", pathNot: "^src/$1/" },
    },
    {
      name: "src-not-from-outside",
      severity: "error",
      comment:
        "src/ is the library: it never imports entry points, tests, bench, scripts or the launchers of Prosody, ejabberd and Alertmanager.",
      from: { path: "^src/" },
      to: { path: "^(agents|bots|test|bench|scripts|prosody|ejabberd|alertmanager)/" },
    },
    {
      name: "entry-points-wire-only",
      severity: "error",
      comment: "agents/ and bots/ are entry points: nothing imports them, and they do not import each other.",
      from: { path: "^([^/]+)/" },
      to: { path: "^(agents|bots)/", pathNot: "^$1/" },
    },
    {
      name: "not-to-unresolvable",
      severity: "error",
      comment: "An import that resolves to nothing.",
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      extensions: [".ts", ".js", ".mjs", ".cjs", ".d.ts", ".json"],
    },
  },
};
