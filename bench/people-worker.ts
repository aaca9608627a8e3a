// Child process: the people's Jabber clients, away from the load generator. In the bench's main
// process a person's socket was read, parsed and stamped only when the event loop got round to it
// between the publishers' work; here it waits for nothing but the machine. Every chat line is
// stamped on arrival (hrMs: CLOCK_MONOTONIC, comparable with the other processes) and passed to
// the parent as an event; see RemotePeople in remote-people.ts.
import { emit, serve } from "./children.js";
import { Person } from "./person.js";

/** A chat line as the parent hears of it. */
export interface PersonEvent {
  readonly name: string;
  readonly from: string;
  readonly body: string;
  readonly at: number;
}

const people = new Map<string, Person>();

function person(name: string): Person {
  const p = people.get(name);
  if (!p) throw new Error(`no person "${name}" logged in here`);
  return p;
}

serve({
  /** Logs `names` in, one after the other (as the parent used to), and passes on what they receive. */
  async login(args: { service: string; domain: string; names: string[]; password: string }) {
    for (const name of args.names) {
      const p = await Person.login({ service: args.service, domain: args.domain, name, password: args.password });
      p.onMessage((m) => emit<PersonEvent>({ name, ...m }));
      people.set(name, p);
    }
    return args.names.length;
  },

  /** Sends a chat line; answers with when it was handed to the socket. */
  say(args: { name: string; to: string; body: string }) {
    return person(args.name).say(args.to, args.body);
  },

  /** Echoes lines starting "echo " back to their sender, or stops. */
  async echo(args: { name: string; on: boolean }) {
    await person(args.name).echo(args.on);
    return true;
  },

  async stop() {
    await Promise.all([...people.values()].map((p) => p.stop().catch(() => undefined)));
    people.clear();
    return true;
  },
});
