// Child processes of the benchmark: started with tsx, talked to over IPC, never left behind.
import { fork, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sleep } from "./hrtime.js";

const live = new Set<ChildProcess>();
let hooked = false;

/** Tracks a child so that it is killed when the benchmark exits, however it exits. */
export function track(child: ChildProcess): ChildProcess {
  live.add(child);
  child.once("exit", () => live.delete(child));
  if (!hooked) {
    hooked = true;
    // 'exit' handlers run synchronously: a signal is all that can be sent, and enough.
    process.on("exit", () => {
      for (const c of live) c.kill("SIGKILL");
    });
  }
  return child;
}

/** SIGTERM, then SIGKILL if it has not exited within `timeoutMs`. */
export async function terminate(child: ChildProcess, timeoutMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  if ((await Promise.race([exited.then(() => "exited"), sleep(timeoutMs).then(() => "timeout")])) === "timeout") {
    child.kill("SIGKILL");
    await exited;
  }
}

type Reply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };
/** Something the child tells the parent unasked (see `emit`). */
type Event = { event: unknown };

/** A TypeScript module of bench/ running in its own Node process, answering requests over IPC. */
export class Worker {
  private seq = 0;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private exitReason: string | undefined;
  private readonly eventListeners = new Set<(event: unknown) => void>();

  private constructor(
    readonly child: ChildProcess,
    private readonly logFile: string,
  ) {
    child.on("message", (m: Reply | Event) => {
      if ("event" in m) {
        for (const l of this.eventListeners) l(m.event);
        return;
      }
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if (m.ok) w.resolve(m.result);
      else w.reject(new Error(m.error));
    });
    child.once("exit", (code, signal) => {
      this.exitReason = `worker exited (${signal ?? `code ${code}`}); see ${this.logFile}`;
      for (const w of this.waiting.values()) w.reject(new Error(this.exitReason));
      this.waiting.clear();
    });
  }

  /**
   * Starts a worker module: `compiledDir` given, its compiled JavaScript there (bench/<name>.js) with
   * plain node; otherwise the TypeScript file beside this one under tsx. Resolves once it answers.
   */
  static async start(
    name: string,
    logFile: string,
    options: { compiledDir: string | null; nodeFlags?: readonly string[] },
    timeoutMs = 60_000,
  ): Promise<Worker> {
    const path = options.compiledDir
      ? join(options.compiledDir, "bench", `${name}.js`)
      : fileURLToPath(new URL(`${name}.ts`, import.meta.url));
    const loader = options.compiledDir ? [] : ["--import", "tsx"];
    const log = createWriteStream(logFile, { flags: "a" });
    const child = track(
      fork(path, [], { execArgv: [...loader, ...(options.nodeFlags ?? [])], stdio: ["ignore", "pipe", "pipe", "ipc"] }),
    );
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    const worker = new Worker(child, logFile);
    await worker.call("ping", {}, timeoutMs);
    return worker;
  }

  /** The child's process id. */
  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Calls `fn` with every event the child emits; returns the way to stop. */
  onEvent<T>(fn: (event: T) => void): () => void {
    const l = fn as (event: unknown) => void;
    this.eventListeners.add(l);
    return () => this.eventListeners.delete(l);
  }

  /** Sends a request and waits for its answer (rejects on timeout or if the child dies). */
  call<T = unknown>(type: string, args: object = {}, timeoutMs = 60_000): Promise<T> {
    if (this.exitReason) return Promise.reject(new Error(this.exitReason));
    const id = ++this.seq;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`worker request "${type}" got no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.child.send({ id, type, args });
    });
  }

  /** Asks the child to finish cleanly (a --cpu-prof profile is written on a clean exit), then makes sure it is gone. */
  async stop(): Promise<void> {
    const exited = new Promise<void>((resolve) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) resolve();
      else this.child.once("exit", () => resolve());
    });
    await this.call("stop", {}, 10_000).catch(() => undefined);
    await Promise.race([exited, sleep(10_000)]);
    await terminate(this.child);
  }
}

/** Child side: tells the parent something unasked (its Worker's `onEvent` listeners get it). */
export function emit<T>(event: T): void {
  process.send?.({ event });
}

/** Child side: answers the parent's requests with `handlers`; exits when the parent goes away. */
export function serve(handlers: Record<string, (args: never) => unknown>): void {
  process.on("disconnect", () => process.exit(0));
  process.on("message", (m: { id: number; type: string; args: never }) => {
    const handler = m.type === "ping" ? () => "pong" : handlers[m.type];
    void (async () => {
      try {
        if (!handler) throw new Error(`unknown request "${m.type}"`);
        process.send?.({ id: m.id, ok: true, result: await handler(m.args) });
      } catch (err) {
        process.send?.({ id: m.id, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
      }
      if (m.type === "stop") setImmediate(() => process.exit(0));
    })();
  });
}
