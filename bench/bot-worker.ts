// Starting a worker: AlertBot in its own process with its own SQLite file.
import { join } from "node:path";
import { benchBotYaml, SECRET_ENV } from "./bot-config.js";
import { Worker } from "./children.js";
import type { BenchContext } from "./context.js";

/** A running bot worker and its database file. */
export interface BotWorker {
  readonly worker: Worker;
  readonly database: string;
}

/**
 * Starts AlertBot in a child process with a new database named after `name` (`extraYaml`: more
 * config sections; `quietDigestEvery`: the storm section's, which the bench's config already has).
 */
export async function startBotWorker(
  ctx: BenchContext,
  name: string,
  extraFlags: readonly string[] = [],
  extraYaml = "",
  quietDigestEvery?: string,
): Promise<BotWorker> {
  const { prosody, secret } = ctx.server;
  const database = join(ctx.workDir, `${name}.sqlite`);
  const worker = await Worker.start("subscriber-worker", join(ctx.workDir, `${name}.log`), {
    compiledDir: ctx.compiledDir,
    nodeFlags: [...ctx.botNodeFlags, ...extraFlags],
  });
  try {
    const noAudit = ctx.experiments.has("no-audit");
    await worker.call(
      "startBot",
      { yaml: benchBotYaml(prosody, database, quietDigestEvery) + extraYaml, env: { [SECRET_ENV]: secret }, noAudit },
      300_000,
    );
  } catch (err) {
    await worker.stop();
    throw err;
  }
  return { worker, database };
}
