// The people's clients in their own process (people-worker.ts), seen from the bench's main
// process through the same PersonClient face as an in-process Person.
import { join } from "node:path";
import { Worker } from "./children.js";
import type { BenchContext } from "./context.js";
import type { PersonClient, Received } from "./person.js";
import type { PersonEvent } from "./people-worker.js";

/** One person whose client runs in the people worker. */
class RemotePerson implements PersonClient {
  received = 0;
  private readonly listeners = new Set<(m: Received) => void>();

  constructor(
    readonly name: string,
    private readonly worker: Worker,
  ) {}

  deliver(m: Received): void {
    this.received++;
    for (const l of this.listeners) l(m);
  }

  onMessage(fn: (m: Received) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  say(to: string, body: string): Promise<number> {
    return this.worker.call<number>("say", { name: this.name, to, body });
  }

  async echo(on: boolean): Promise<void> {
    await this.worker.call("echo", { name: this.name, on });
  }

  async stop(): Promise<void> {
    // The worker closes every session at once (RemotePeople.stop).
  }
}

/** The people worker and its people, in the order they were named. */
export class RemotePeople {
  private constructor(
    private readonly worker: Worker,
    readonly people: readonly PersonClient[],
  ) {}

  /** Starts the worker and logs `names` in there (their chat lines are stamped in that process). */
  static async start(ctx: BenchContext, names: readonly string[], password: string): Promise<RemotePeople> {
    const worker = await Worker.start("people-worker", join(ctx.workDir, "people.log"), {
      compiledDir: ctx.compiledDir,
    });
    const people = names.map((name) => new RemotePerson(name, worker));
    const byName = new Map(people.map((p) => [p.name, p]));
    worker.onEvent<PersonEvent>((e) => byName.get(e.name)?.deliver({ from: e.from, body: e.body, at: e.at }));
    try {
      await worker.call(
        "login",
        { service: ctx.target.service, domain: ctx.server.prosody.domain, names, password },
        120_000,
      );
    } catch (err) {
      await worker.stop();
      throw err;
    }
    return new RemotePeople(worker, people);
  }

  /** Closes the sessions and ends the worker. */
  stop(): Promise<void> {
    return this.worker.stop();
  }
}
