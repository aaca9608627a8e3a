// `npm run demo` turns the web board on and prints its address and a sign-in link for alice; that
// link signs a real browser in, and the board shows the demo's alerts. The screenshot it takes is
// the one in the README (docs/img/web-board.png is copied from .artifacts/web-demo/).
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { artifactDir, startBrowser, type TestBrowser } from "../helpers/browser.js";
import { ChildRun } from "../helpers/process-child.js";
import { tempDir } from "../helpers/spine.js";
import { waitFor } from "../helpers/wait-for.js";

describe("demo: the web board", function () {
  this.timeout(180_000);
  let dir: string;
  let demo: ChildRun | undefined;
  let browser: TestBrowser | undefined;

  after(async () => {
    await browser?.close();
    if (demo && !demo.hasExited) {
      demo.signal("SIGINT");
      await demo.exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it("prints web board: and a sign-in link for alice, which opens the board in chromium", async () => {
    dir = tempDir("mauve-demo-web-");
    demo = ChildRun.start("scripts/demo.ts", ["--dir", dir, "--c2s-port", "0", "--http-port", "0"], {}, "demo");
    // eslint-disable-next-line no-control-regex -- strips the terminal colour codes the demo prints
    const plain = (): string => demo!.stdout.replace(/\x1b\[[0-9;]*m/g, "");
    // Both lines: they are two writes, and may reach this process in two reads.
    const [board, link] = await waitFor(
      "the demo to print the board's address and the sign-in link",
      () => {
        const board = /^==> web board: (http:\/\/127\.0\.0\.1:\d+\/)$/m.exec(plain())?.[1];
        const link = /^==> sign-in link for alice \(works once\): (\S+)$/m.exec(plain())?.[1];
        return board !== undefined && link !== undefined ? ([board, link] as const) : undefined;
      },
      120_000,
    );
    assert.ok(link.startsWith(`${board}sign-in?t=`), `the link is on the board's address: ${link}`);

    browser = await startBrowser();
    const page = await browser.context.newPage();
    await page.setViewportSize({ width: 1100, height: 560 });
    await page.goto(link);
    await page.click("#sign-in");
    await page.waitForURL(board);
    await page.waitForSelector('body[data-live="on"]', { timeout: 60_000 });
    const rows = page.locator("table.alerts tbody tr");
    await waitFor("both demo alerts on the board", async () => ((await rows.count()) >= 2 ? true : undefined), 60_000);
    assert.match((await page.locator("table.alerts").textContent()) ?? "", /disk-full[\s\S]*acked/);
    await page.screenshot({ path: join(artifactDir("web-demo"), "board.png") });

    // The agents page: the demo's real agent, its presence, full state and status line.
    await page.goto(`${board}agents`);
    const web1 = page.locator('tr[data-source="web1"]');
    const cells = await web1.locator("td").allTextContents();
    assert.match(cells[1] ?? "", /^web1@/, "its agent account");
    assert.equal(cells[2], "online");
    assert.doesNotMatch(cells[4] ?? "", /not since start/, "it sent its full state");
    assert.equal(cells[6], "0", "no backlog reported");
    assert.match(cells[7] ?? "", /raised: /, "its status line");
    await page.screenshot({ path: join(artifactDir("web-demo"), "agents.png") });
  });
});
