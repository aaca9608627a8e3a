import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { ESLint } from "eslint";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

// The project's own eslint.config.js, on text given the path of a file of ours (typed linting only
// knows the project's files; the text replaces the file's content): the rules the design relies on
// are on, typed (a dropped promise needs the type checker), and scoped to the right files.
async function ruleIds(path: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: ROOT });
  const [result] = await eslint.lintText(code, { filePath: `${ROOT}${path}` });
  return (result?.messages ?? []).map((m) => m.ruleId ?? `fatal: ${m.message}`);
}

const PROBE = `
export function work(): Promise<number> {
  return Promise.resolve(1);
}
export function start(): void {
  work();
  setTimeout(() => undefined, 10);
  const at = Date.now() + new Date().getTime();
  void at;
}
`;

describe("lint: the rules npm test relies on", function () {
  this.timeout(120_000);

  it("reports a dropped promise and wall-clock time in src/", async () => {
    assert.deepEqual((await ruleIds("src/log.ts", PROBE)).sort(), [
      "@typescript-eslint/no-floating-promises",
      "no-restricted-globals",
      "no-restricted-properties",
      "no-restricted-syntax",
    ]);
  });

  it("lets src/clock/ and tests read the real time, but not drop a promise", async () => {
    assert.deepEqual(await ruleIds("src/clock/clock.ts", PROBE), ["@typescript-eslint/no-floating-promises"]);
    assert.deepEqual(await ruleIds("test/unit/lint-rules.test.ts", PROBE), ["@typescript-eslint/no-floating-promises"]);
  });
});
