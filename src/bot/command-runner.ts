import type { Clock } from "../clock/clock.js";
import {
  RateLimiter,
  STRANGER_REFUSAL,
  authorizer,
  recognisePerson,
  runCommand,
  type CommandContext,
  type CommandOutcome,
  type OnCallOutcome,
  type Permissions,
  type Person,
} from "../commands/index.js";
import type { Logger } from "../log.js";
import { addOpenTime, classify, findWorkgroup, onCall, type Policy } from "../policy/index.js";
import type { Store } from "../store/store.js";
import { commandAlerts, commandSilences } from "./command-alerts.js";
import type { PolicyInputs } from "./evaluate-alert.js";

/** What running commands needs. */
export interface CommandRunnerDeps {
  store: Store;
  clock: Clock;
  log: Logger;
  policy: Policy;
  inputs: PolicyInputs;
  ackDefaultMs: number;
  ackMaxMs: number;
  permissions?: Permissions;
}

/** A command's result, with what the bot must do about it afterwards. */
export interface CommandResult {
  reply: string | null;
  outcome: CommandOutcome | null;
}

/**
 * The one door for commands, whatever they come through (chat, a room, a form): recognise the
 * person, rate-limit the JID, build the context over the store and the policy, run, log.
 */
export class CommandRunner {
  private readonly limiter = new RateLimiter();

  constructor(private deps: CommandRunnerDeps) {}

  /** Takes a reloaded policy and ack limits (the rate limiter keeps its counts). */
  reconfigure(next: Required<Pick<CommandRunnerDeps, "policy" | "ackDefaultMs" | "ackMaxMs" | "permissions">>): void {
    this.deps = { ...this.deps, ...next };
  }

  /** The person behind a JID, or null for a stranger. */
  person(jid: string): Person | null {
    return recognisePerson(this.deps.policy.people, jid);
  }

  /** Runs a chat line from `fromJid` (a full or bare JID: the real JID, in rooms). */
  async run(fromJid: string, body: string): Promise<CommandResult> {
    const { log, clock } = this.deps;
    if (body.trim() === "") return { reply: null, outcome: null };
    // The limit comes first, so that nobody, stranger or not, can make the bot answer a flood.
    const rate = this.limiter.take(fromJid, clock.now());
    if (!rate.ok) {
      log.warn("commands rate-limited", { from: fromJid, retryAfterMs: rate.retryAfterMs });
      return { reply: rate.reply ? rate.message : null, outcome: null };
    }
    const person = this.person(fromJid);
    if (!person) {
      log.warn("command from a stranger refused", { from: fromJid, length: body.length });
      return { reply: STRANGER_REFUSAL, outcome: null };
    }
    const outcome = await runCommand(body, this.context(person));
    if (!outcome.ok && outcome.kind === "failed") log.error("command failed", { from: fromJid, err: outcome.error });
    else log.info("command", { from: fromJid, command: outcome.command, ok: outcome.ok });
    return { reply: outcome.reply, outcome };
  }

  /** The context commands run in for this person, now. */
  context(person: Person): CommandContext {
    const { store, clock, policy, inputs, log, ackDefaultMs, ackMaxMs } = this.deps;
    // "for 4 working hours" counts the window named working_hours, else the first one configured;
    // with none, the command says so rather than looking for hours that cannot come.
    const window = policy.windows["working_hours"] ?? Object.values(policy.windows)[0];
    return {
      person,
      now: clock.now(),
      ackDefaultMs,
      ackMaxMs,
      silenceMaxMs: ackMaxMs,
      alerts: commandAlerts({ store, policy, inputs, log }),
      silences: commandSilences(store),
      oncall: (workgroup) => this.oncall(workgroup),
      ...(window ? { workingHoursFrom: (from: number, hours: number) => addOpenTime(window, from, hours * 3_600_000) } : {}),
      may: authorizer(person.name, this.deps.permissions ?? {}, (alert) => classify(policy.rules, alert).workgroup),
    };
  }

  private oncall(workgroup: string | null): OnCallOutcome {
    const { policy, clock } = this.deps;
    const wanted = workgroup === null ? policy.workgroups : [findWorkgroup(policy.workgroups, workgroup) ?? policy.workgroups.find((w) => w.name.toLowerCase() === workgroup.toLowerCase())];
    if (wanted.some((w) => w === undefined)) return { ok: false, reason: "unknown-workgroup", known: policy.workgroups.map((w) => w.name) };
    const now = clock.now();
    return { ok: true, rota: wanted.map((w) => ({ workgroup: w!.name, people: onCall(w!, now, policy.people).map((p) => p.name) })) };
  }
}
