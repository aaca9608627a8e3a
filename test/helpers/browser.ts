// Debian's chromium driven by playwright-core, for the web board's tests. Launched with a fresh
// profile and everything that would call out switched off: on a closed network those calls hang.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";
import { REPO_ROOT } from "./process-child.js";

/** Where the system's chromium is (the `chromium` Debian package; scripts/ensure-system-deps.mjs installs it). */
export const CHROMIUM = process.env["MAUVE_CHROMIUM"] ?? "/usr/bin/chromium";

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
];

/** A browser with a profile of its own: one person's (or a stranger's) cookies. */
export interface TestBrowser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** Starts chromium with a fresh profile directory, removed on close. */
export async function startBrowser(): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), "mauve-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 800 },
    timeout: 120_000,
  });
  return {
    context,
    async close() {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Where the tests put screenshots for people to look at (gitignored; CI keeps them as artifacts). */
export function artifactDir(name: string): string {
  const dir = join(REPO_ROOT, ".artifacts", name);
  mkdirSync(dir, { recursive: true });
  return dir;
}
