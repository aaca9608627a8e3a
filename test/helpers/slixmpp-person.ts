// A person in slixmpp (test/clients/slixmpp-person.py), a Jabber client of another make than
// xmpp.js, run by Debian's own Python, where Debian's python3-slixmpp is installed.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import type { TestProsody } from "./prosody.js";
import { waitFor } from "./wait-for.js";

const SCRIPT = fileURLToPath(new URL("../clients/slixmpp-person.py", import.meta.url));
/** Debian's interpreter: another python3 on PATH (pyenv, a venv) does not see Debian's packages. */
const PYTHON = "/usr/bin/python3";

/** What the client printed: see the script's docstring. */
export interface SlixEvent {
  event:
    | "ready"
    | "chat"
    | "subscribe"
    | "subscribed"
    | "presence"
    | "commands"
    | "form"
    | "done"
    | "items"
    | "error"
    | "gone";
  from?: string;
  body?: string;
  type?: string;
  show?: string;
  node?: string;
  nodes?: Array<{ node: string; name: string }>;
  vars?: string[];
  title?: string;
  status?: string;
  notes?: string[];
  form?: string[];
  items?: Array<{ id: string; xml: string }>;
  do?: string;
  condition?: string;
}

export class SlixmppPerson {
  readonly events: SlixEvent[] = [];
  private stderr = "";
  private exited: Promise<number | null>;

  private constructor(private readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      try {
        this.events.push(JSON.parse(line) as SlixEvent);
      } catch {
        this.stderr += `(not JSON) ${line}\n`;
      }
    });
    child.stderr!.on("data", (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
  }

  /** Logs in as `name` (password pw-<name>, already registered) and waits until it is ready. */
  static async login(t: TestProsody, name: string): Promise<SlixmppPerson> {
    const p = t.prosody;
    const child = spawn(
      PYTHON,
      [SCRIPT, "--jid", `${name}@${p.domain}/slixmpp`, "--password", `pw-${name}`, "--port", String(p.c2sPort)],
      { stdio: ["pipe", "pipe", "pipe"] },
    );
    const person = new SlixmppPerson(child);
    await person.next("logged in", (e) => e.event === "ready", 30_000);
    return person;
  }

  /** Waits for an event matching `match` (already received or to come) and returns it. */
  async next(what: string, match: (e: SlixEvent) => boolean, timeoutMs = 20_000, after = 0): Promise<SlixEvent> {
    try {
      return await waitFor(what, () => this.events.slice(after).find(match), timeoutMs);
    } catch (err) {
      throw new Error(`${(err as Error).message}; slixmpp said:\n${this.stderr.slice(-3000)}`, { cause: err });
    }
  }

  /** Waits for a chat line from `fromBare` (a bare JID) whose body matches `body`, received after `after` events. */
  chat(fromBare: string, body: RegExp, after = 0): Promise<SlixEvent> {
    return this.next(
      `a chat from ${fromBare} matching ${String(body)}`,
      (e) => e.event === "chat" && e.from?.split("/")[0] === fromBare && body.test(e.body ?? ""),
      20_000,
      after,
    );
  }

  /** The XEP-0050 commands `to` lists (or the error it answered with). */
  commands(to: string): Promise<SlixEvent> {
    return this.ask({ do: "commands", to }, (e) => e.event === "commands");
  }

  /** Executes command `node` at `to`, fills its form with `fields`, submits it: the outcome (or the error). */
  command(to: string, node: string, fields: Readonly<Record<string, string>>): Promise<SlixEvent> {
    return this.ask({ do: "command", to, node, fields }, (e) => e.event === "done" && e.node === node);
  }

  /** The items of pubsub node `node` at `to` (or the error). */
  items(to: string, node: string): Promise<SlixEvent> {
    return this.ask({ do: "items", to, node }, (e) => e.event === "items" && e.node === node);
  }

  say(to: string, body: string): void {
    this.send({ do: "say", to, body });
  }

  show(show: "away" | "dnd" | "xa" | "chat" | null, status = ""): void {
    this.send({ do: "show", show, status });
  }

  /** Logs out (the client sends unavailable presence and closes its stream) and waits for it to exit. */
  async quit(): Promise<number | null> {
    if (this.child.exitCode === null) this.send({ do: "quit" });
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 10_000);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends `command` and waits for its answer, or for an error event about it. */
  private ask(
    command: { do: string } & Record<string, unknown>,
    answer: (e: SlixEvent) => boolean,
  ): Promise<SlixEvent> {
    const from = this.events.length;
    this.send(command);
    return this.next(
      `slixmpp's answer to ${JSON.stringify(command)}`,
      (e) => answer(e) || (e.event === "error" && e.do === command.do),
      20_000,
      from,
    );
  }

  private send(command: object): void {
    this.child.stdin!.write(`${JSON.stringify(command)}\n`);
  }
}
