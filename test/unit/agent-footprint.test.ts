// An idle agent's memory is mostly the code it loaded (npm run bench's agent phase holds it to
// 60 MB). The HTML parsers, the regex engine and @xmpp/component serve AlertBot, or an agent only
// when HTML or a pattern comes its way: loaded with the agent's modules they were a few MB of
// every idle agent. This loads the agent's entry point (`--help`: every static import is loaded
// before it runs) with a loader hook that lists each module loaded, in a process of its own.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const LAZY = ["sanitize-html", "html-to-text", "re2js", "@xmpp/component"];

function modulesLoadedBy(entry: string, args: readonly string[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), "mauve-footprint-"));
  try {
    const list = join(dir, "loaded.txt");
    writeFileSync(
      join(dir, "hooks.mjs"),
      `import { appendFileSync } from "node:fs";
export async function load(url, context, next) {
  appendFileSync(${JSON.stringify(list)}, url + "\\n");
  return next(url, context);
}
`,
    );
    writeFileSync(
      join(dir, "register.mjs"),
      `import { register } from "node:module";
register(${JSON.stringify(pathToFileURL(join(dir, "hooks.mjs")).href)});
`,
    );
    writeFileSync(list, "");
    execFileSync(process.execPath, ["--import", "tsx", "--import", join(dir, "register.mjs"), entry, ...args], {
      stdio: ["ignore", "ignore", "pipe"],
      timeout: 60_000,
    });
    return readFileSync(list, "utf8").split("\n").filter(Boolean);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const inPackage = (url: string, name: string): boolean => url.includes(`/node_modules/${name}/`);

describe("the agent's footprint", () => {
  it("loads no HTML parser, regex engine or component library until it needs one", function () {
    this.timeout(90_000);
    const loaded = modulesLoadedBy("agents/mauve-agent.ts", ["--help"]);
    assert.ok(
      loaded.some((url) => inPackage(url, "@xmpp/client")),
      `the hook saw the agent's modules load (${loaded.length} seen)`,
    );
    assert.deepEqual(
      LAZY.filter((name) => loaded.some((url) => inPackage(url, name))),
      [],
      "loaded at start, though an idle agent never uses them",
    );
  });
});
