// Every relative link in README.md, CHANGELOG.md and docs/ must lead to a file that exists (and to a
// heading that exists, when it names one), and the docs index must list every page, so links never rot
// when sections move.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DOCS = join(ROOT, "docs");
const pages = (): string[] => [
  join(ROOT, "README.md"),
  join(ROOT, "CHANGELOG.md"),
  ...readdirSync(DOCS)
    .filter((f) => f.endsWith(".md"))
    .map((f) => join(DOCS, f)),
];

/** The text outside fenced code blocks and inline code, where a link is a link. */
function prose(markdown: string): string {
  return markdown.replace(/^```[^\n]*\n[\s\S]*?^```$/gm, "").replace(/`[^`\n]*`/g, "");
}

/** Every `[text](target)` target in the prose. */
function linkTargets(markdown: string): string[] {
  return [...prose(markdown).matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!);
}

/** GitHub's anchor for each heading of a Markdown file. */
function anchors(markdown: string): Set<string> {
  const headings = [...markdown.replace(/^```[^\n]*\n[\s\S]*?^```$/gm, "").matchAll(/^#{1,6} (.+)$/gm)];
  return new Set(
    headings.map((m) =>
      m[1]!
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, "")
        .replace(/\s/g, "-"),
    ),
  );
}

/** What is wrong with each relative link of one page, as "page: target (reason)". */
function brokenLinks(page: string): string[] {
  const text = readFileSync(page, "utf8");
  const broken: string[] = [];
  for (const target of linkTargets(text)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: and the like: not ours to check
    const [path = "", anchor] = target.split("#");
    const file = path === "" ? page : join(dirname(page), decodeURIComponent(path));
    const where = `${relative(ROOT, page)}: ${target}`;
    if (!existsSync(file)) broken.push(`${where} (no such file)`);
    else if (anchor !== undefined && file.endsWith(".md") && !anchors(readFileSync(file, "utf8")).has(anchor))
      broken.push(`${where} (no such heading)`);
  }
  return broken;
}

describe("Documentation links", () => {
  it("finds the links it checks, and catches a broken one", () => {
    assert.ok(linkTargets(readFileSync(join(ROOT, "README.md"), "utf8")).includes("docs/chat.md"));
    assert.deepEqual(linkTargets("see [x](a.md) and `[y](b.md)`\n```\n[z](c.md)\n```\n"), ["a.md"]);
    assert.ok(anchors("# Alert semantics\n## The `replace` flag\n").has("the-replace-flag"));
  });

  for (const page of pages()) {
    it(`${relative(ROOT, page)}: every relative link resolves`, () => {
      assert.deepEqual(brokenLinks(page), []);
    });
  }

  it("docs/README.md lists every page in docs/, and README.md links the index", () => {
    const index = new Set(linkTargets(readFileSync(join(DOCS, "README.md"), "utf8")));
    const unlisted = readdirSync(DOCS).filter((f) => f.endsWith(".md") && f !== "README.md" && !index.has(f));
    assert.deepEqual(unlisted, []);
    assert.ok(linkTargets(readFileSync(join(ROOT, "README.md"), "utf8")).includes("docs/README.md"));
  });
});
