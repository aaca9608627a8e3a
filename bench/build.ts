// The installed form of the code: compiled with tsc, run by plain node, as `npm run build` ships it.
import { execFile } from "node:child_process";
import { access, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

/** Where compiled code lives: .bench/dist (ignored by git), never the repository's dist/. */
export function distDir(repoDir: string): string {
  return join(repoDir, ".bench", "dist");
}

/**
 * Compiles the whole project (tsconfig.json: src, agents, bots, bench, ...) into .bench/dist so that
 * workers and agents can run without tsx, whose loader thread and transpiler add memory that a
 * deployed bot or agent does not carry. Resolves with the directory, or null when the entry points
 * were not produced (the caller then falls back to tsx and says so).
 */
export async function buildCompiled(repoDir: string): Promise<string | null> {
  const outDir = distDir(repoDir);
  await mkdir(outDir, { recursive: true });
  const tsc = join(repoDir, "node_modules", "typescript", "bin", "tsc");
  // tsc exits non-zero on a type error elsewhere in the tree but still emits; what matters is the output.
  await promisify(execFile)(process.execPath, [tsc, "-p", "tsconfig.json", "--outDir", outDir], { cwd: repoDir }).catch(
    () => undefined,
  );
  const needed = [join(outDir, "bench", "subscriber-worker.js"), join(outDir, "agents", "mauve-agent.js")];
  try {
    await Promise.all(needed.map((f) => access(f)));
    return outDir;
  } catch {
    return null;
  }
}
