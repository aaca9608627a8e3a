// A file system of its own for a test to fill, not the machine's: a small tmpfs (mounting one needs
// root; where it cannot be mounted, the test is skipped and says why).
import { execFileSync } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Mounts a tmpfs of `size` (e.g. "4m") at `dir`/data; its path, or why it cannot be. */
export function mountSmallDisk(dir: string, size: string): { path: string } | { problem: string } {
  const path = join(dir, "data");
  mkdirSync(path);
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", path], { stdio: "pipe" });
    return { path };
  } catch (err) {
    return { problem: `cannot mount a tmpfs to fill: ${String(err).split("\n")[0]}` };
  }
}

/** Unmounts what mountSmallDisk mounted (lazily: a process may still hold a file there). */
export function unmountSmallDisk(path: string): void {
  execFileSync("umount", ["-l", path]);
}

/** Fills the file system holding `dir` with one file, to the last byte; returns its path (remove it to free the space). */
export function fillDisk(dir: string): string {
  const path = join(dir, "filler");
  const fd = openSync(path, "w");
  try {
    // Down to the last byte: a page left free takes a few more WAL frames.
    for (const size of [64 * 1024, 4096, 512, 1]) {
      const block = Buffer.alloc(size);
      try {
        for (;;) writeSync(fd, block);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
      }
    }
  } finally {
    closeSync(fd);
  }
  return path;
}

/** A test's own small disk: `dir` for its files, `data` the tmpfs inside it. */
export interface SmallDisk {
  readonly dir: string;
  readonly data: string;
  /** Unmounts it and removes `dir`: call from the test's `after`, once its processes have stopped. */
  release(): void;
}

/**
 * Mounts a small disk of `size` in a fresh temporary directory before the suite's tests, or skips
 * them saying why (mocha `before`; call at the top of a describe).
 */
export function withSmallDisk(prefix: string, size: string): SmallDisk {
  let dir: string | undefined;
  let data: string | undefined;
  before(function () {
    dir = mkdtempSync(join(tmpdir(), prefix));
    const disk = mountSmallDisk(dir, size);
    if ("problem" in disk) {
      console.log(`    (skipped: ${disk.problem})`);
      this.skip();
    }
    data = disk.path;
  });
  return {
    get dir() {
      if (dir === undefined) throw new Error("the small disk is made before the tests");
      return dir;
    },
    get data() {
      if (data === undefined) throw new Error("the small disk is mounted before the tests");
      return data;
    },
    release() {
      if (data) unmountSmallDisk(data);
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
