import { actorThrough } from "../alerts/actor.js";
import type { Clock, TimerHandle } from "../clock/clock.js";
import {
  FORM_COMMANDS,
  formValues,
  runFormCommand,
  type FormCommand,
  type FormResult,
  type FormValues,
} from "../commands/adhoc-forms.js";
import { STRANGER_REFUSAL, authoriser, recognisePerson, type Person } from "../commands/authorise.js";
import { RateLimiter } from "../commands/rate-limit.js";
import { isBlank } from "../commands/registry.js";
import { lateCommandRefusal, runCommand, type CommandOutcome } from "../commands/run.js";
import type { BotTrouble, CommandContext, CommandEffect, OnCallOutcome, WebSignIn } from "../commands/types.js";
import type { Logger } from "../log.js";
import { addOpenTime, workingHoursWindow } from "../policy/windows.js";
import { classify } from "../policy/matcher.js";
import { findWorkgroup, onCall } from "../policy/on-call.js";
import { readerZone } from "../policy/zoned-time.js";
import type { Store } from "../store/store.js";
import type { Adhoc } from "../xmpp/disco.js";
import { commandAlerts, commandSilences } from "./command-alerts.js";
import type { PolicyInputs } from "./evaluate-alert.js";
import { recordedSkew } from "./clock-skew.js";
import type { BotMetrics } from "../http/metrics.js";
import type { BotSettings, SettingsSource } from "./settings.js";

/** What running commands needs. */
export interface CommandRunnerDeps {
  store: Store;
  clock: Clock;
  log: Logger;
  /** Read for every command: people, policy, ack limits and permissions as they are now. */
  settings: SettingsSource<BotSettings>;
  inputs: PolicyInputs;
  /** Counts commands for /metrics. */
  metrics?: BotMetrics | undefined;
  /** What is wrong with AlertBot itself now that no alert records (`show` puts it first). */
  troubles?: () => readonly BotTrouble[];
}

/** A command's result, with what the bot must do about it afterwards. */
export interface CommandResult {
  reply: string | null;
  outcome: CommandOutcome | null;
}

/** How to tell the sender something later (by chat, or in the room the command came from). */
export type TellLater = (text: string) => Promise<void>;

// Lines a person sent while over the rate limit, told back to them once the limit frees: a dropped
// "escalate 42" must not be lost without a word.
interface Dropped {
  /** Each distinct line, with how many times it came. */
  readonly lines: Map<string, number>;
  more: number;
  readonly timer: TimerHandle;
}
const DROPPED_SHOWN = 8;
const DROPPED_LINE_CHARS = 80;

/**
 * The most characters one command may hold (a chat line, a room line, a form's values together):
 * commands are short, and refusing more keeps a flood cheap and a paste from being echoed back.
 */
export const MAX_COMMAND_CHARS = 2_000;

/** The door's decision: run for this person, or answer `reply` (null: say nothing) and run nothing. */
type Admission = { ok: true; person: Person } | { ok: false; reply: string | null; outcome: string };

/**
 * Where a chat line came from and when it was typed. `direct`: a one-to-one chat with the person
 * (not through a room). `sentAt`: when its message says it was typed (XEP-0203); late, a change
 * is answered and not run.
 */
export interface LineContext {
  readonly direct?: boolean;
  readonly sentAt?: number | undefined;
}

/**
 * The one door for commands, whatever they come through (chat, a room, a form): recognise the
 * person, rate-limit the JID, build the context over the store and the policy, run, log.
 */
export class CommandRunner {
  private readonly limiter = new RateLimiter();
  private readonly dropped = new Map<string, Dropped>();
  /** Issues web board sign-in links (set when the board is on). */
  private signIn: ((person: Person) => { url: string; validMs: number }) | null = null;

  constructor(private readonly deps: CommandRunnerDeps) {}

  /** The person behind a JID, or null for a stranger. */
  person(jid: string): Person | null {
    return recognisePerson(this.deps.settings.current().policy.people, jid);
  }

  /**
   * Runs a chat line from `fromJid` (a full or bare JID: the real JID, in rooms). A configured
   * person's lines dropped by the rate limit are listed back to them through `tell` once it frees.
   * `direct`: a one-to-one chat with the person (not through a room). `sentAt`: when the line was
   * typed, if it says (a delay stamp); one that changes something is not run late (see
   * lateCommandRefusal).
   */
  async run(
    fromJid: string,
    body: string,
    tell?: TellLater,
    { direct = false, sentAt }: LineContext = {},
  ): Promise<CommandResult> {
    if (isBlank(body)) return { reply: null, outcome: null };
    const admitted = this.admit(
      fromJid,
      body.length,
      "chat",
      (retryAfterMs) =>
        tell !== undefined && this.person(fromJid) !== null && this.drop(fromJid, body, retryAfterMs, tell),
    );
    if (!admitted.ok) return { reply: admitted.reply, outcome: null };
    const late = sentAt === undefined ? null : lateCommandRefusal(body, sentAt, this.deps.clock.now());
    if (late !== null) {
      this.deps.log.warn("command sent long before it came, not run", { from: fromJid, command: late.command, sentAt });
      this.deps.metrics?.commandRun(late.command, "late");
      return { reply: late.reply, outcome: null };
    }
    const outcome = await runCommand(body, this.context(admitted.person, direct));
    this.record(fromJid, "chat", outcome.command, outcome.ok ? "ok" : outcome.kind, outcome.ok ? null : outcome);
    return { reply: outcome.reply, outcome };
  }

  /**
   * Runs a submitted XEP-0050 form from `fromJid` through the same door as chat: rate limit,
   * length, person, log line and metrics. A refusal at the door ends the command (`final`); a
   * form that does not parse is shown again with why.
   */
  async runForm(
    command: FormCommand,
    fields: FormValues,
    fromJid: string,
  ): Promise<FormResult | { ok: false; text: string; final: true }> {
    let length = 0;
    for (const values of fields.values()) for (const v of values) length += v.length;
    const admitted = this.admit(fromJid, length, "form");
    if (!admitted.ok) return { ok: false, text: admitted.reply ?? admitted.outcome, final: true };
    const values = formValues(command, fields);
    const result = values.ok
      ? await runFormCommand(command, values.value, this.context(admitted.person))
      : ({ ok: false, kind: "unparsed", command: command.node, text: values.text } as const);
    this.record(fromJid, "form", result.command, result.ok ? "ok" : result.kind, result.ok ? null : result);
    return result;
  }

  /**
   * The door every command comes through: the rate limit first, so that nobody, stranger or not,
   * can make the bot answer a flood; then the length; then whether the sender is a configured
   * person. `dropped` is asked, when the limit refuses, whether the line was kept to list later.
   */
  private admit(
    fromJid: string,
    length: number,
    via: string,
    dropped: (retryAfterMs: number) => boolean = () => false,
  ): Admission {
    const { log, clock, metrics } = this.deps;
    const rate = this.limiter.take(fromJid, clock.now());
    if (!rate.ok) {
      log.warn("commands rate-limited", { from: fromJid, via, retryAfterMs: rate.retryAfterMs });
      const listed = dropped(rate.retryAfterMs);
      const reply = rate.reply ? rate.message + (listed ? " I'll tell you then which commands those were." : "") : null;
      // A form is a request that must be answered: it gets the refusal every time.
      return { ok: false, reply, outcome: rate.message };
    }
    if (length > MAX_COMMAND_CHARS) {
      log.warn("command too long, refused", { from: fromJid, via, length });
      metrics?.commandRun("unparsed", "too-long");
      const reply = `That is ${length} characters long; commands are short (at most ${MAX_COMMAND_CHARS}). Try "help".`;
      return { ok: false, reply, outcome: reply };
    }
    const person = this.person(fromJid);
    if (!person) {
      log.warn("command from a stranger refused", { from: fromJid, via, length });
      metrics?.commandRun("none", "stranger");
      return { ok: false, reply: STRANGER_REFUSAL, outcome: STRANGER_REFUSAL };
    }
    return { ok: true, person };
  }

  /** The log line and the metric of a command that ran (or did not parse). */
  private record(
    fromJid: string,
    via: string,
    command: string | null,
    result: string,
    failure: { kind: string; error?: unknown } | null,
  ): void {
    if (failure?.kind === "failed") this.deps.log.error("command failed", { from: fromJid, via, err: failure.error });
    else this.deps.log.info("command", { from: fromJid, via, command, ok: result === "ok" });
    this.deps.metrics?.commandRun(command ?? "unparsed", result);
  }

  /**
   * Answers `text` to a line that will not run from where it came (a room occupant whose real JID
   * is hidden), within the rate limit of `sender` as a whole JID: each occupant of a room is
   * someone else, while their bare JID, the room's, is shared by all. Null: say nothing.
   */
  decline(sender: string, body: string, text: string): string | null {
    const rate = this.limiter.take(sender, this.deps.clock.now(), { wholeJid: true });
    if (!rate.ok) return rate.reply ? rate.message : null;
    this.deps.log.warn("command from a room occupant not known by their real JID, refused", {
      from: sender,
      length: body.length,
    });
    this.deps.metrics?.commandRun("none", "stranger");
    return text;
  }

  /** Lets `web` hand out sign-in links for the web board (only in a direct chat). */
  offerSignIn(issue: (person: Person) => { url: string; validMs: number }): void {
    this.signIn = issue;
  }

  /**
   * Runs a command from the web board for the configured person `jid`: the same commands, rules,
   * permissions and rate limit as chat; the history names the person with "(web)".
   */
  async runFromBoard(
    jid: string,
    body: string,
  ): Promise<CommandOutcome | { ok: false; kind: "refused"; reply: string }> {
    const admitted = this.admit(jid, body.length, "web");
    if (!admitted.ok) return { ok: false, kind: "refused", reply: admitted.outcome };
    const { person } = admitted;
    const asWeb = recognisePerson([{ name: actorThrough(person.name, "web"), jid: person.jid }], person.jid)!;
    const outcome = await runCommand(body, { ...this.context(person), person: asWeb });
    this.record(jid, "web", outcome.command, outcome.ok ? "ok" : outcome.kind, outcome.ok ? null : outcome);
    return outcome;
  }

  /** Cancels the pending lists of dropped commands (the bot is stopping). */
  stop(): void {
    for (const d of this.dropped.values()) d.timer.cancel();
    this.dropped.clear();
  }

  /** Records a dropped line; the first of a streak arms the list's telling. Returns true. */
  private drop(fromJid: string, body: string, retryAfterMs: number, tell: TellLater): true {
    const key = (fromJid.split("/")[0] ?? fromJid).toLowerCase();
    const line = body.trim().replace(/\s+/g, " ");
    const shown = line.length > DROPPED_LINE_CHARS ? `${line.slice(0, DROPPED_LINE_CHARS - 1)}…` : line;
    const known = this.dropped.get(key);
    if (known) {
      if (known.lines.has(shown) || known.lines.size < DROPPED_SHOWN)
        known.lines.set(shown, (known.lines.get(shown) ?? 0) + 1);
      else known.more += 1;
      return true;
    }
    const entry: Dropped = {
      lines: new Map([[shown, 1]]),
      more: 0,
      timer: this.deps.clock.setTimer(Math.max(1_000, retryAfterMs), () => {
        this.dropped.delete(key);
        const listed = [...entry.lines].map(([l, n]) => (n > 1 ? `"${l}" (${n} times)` : `"${l}"`)).join(", ");
        const more = entry.more > 0 ? ` and ${entry.more} other line${entry.more === 1 ? "" : "s"}` : "";
        const text = `I did not run these, sent while you were over the limit: ${listed}${more}. Send again what you still want done.`;
        tell(text).catch((err: unknown) => this.deps.log.warn("cannot list dropped commands", { to: key, err }));
      }),
    };
    this.dropped.set(key, entry);
    return true;
  }

  /** The context commands run in for this person, now (`direct`: a one-to-one chat, where `web` gives links). */
  context(person: Person, direct = false): CommandContext {
    const { store, clock, inputs, log } = this.deps;
    const { policy, ackDefaultMs, ackMaxMs, permissions } = this.deps.settings.current();
    return {
      person,
      now: clock.now(),
      ackDefaultMs,
      ackMaxMs,
      silenceMaxMs: ackMaxMs,
      alerts: commandAlerts({ store, policy, inputs, log }),
      silences: commandSilences(store),
      clockSkew: (source) => recordedSkew(store, source),
      oncall: (workgroup) => this.oncall(policy, workgroup),
      // With no window configured at all, the command says so rather than looking for hours that cannot come.
      ...(Object.keys(policy.windows).length > 0
        ? {
            workingHoursFrom: (from: number, hours: number, shortId: number) => {
              const alert = store.alerts.get(shortId);
              const workgroup =
                alert === undefined
                  ? undefined
                  : findWorkgroup(policy.workgroups, classify(policy.rules, alert).workgroup);
              const window = workingHoursWindow(policy, workgroup);
              return window ? addOpenTime(window, from, hours * 3_600_000) : null;
            },
          }
        : {}),
      timeZone: readerZone(policy, person.name),
      gradeOf: (alert) => {
        const c = classify(policy.rules, alert);
        return { level: c.level, workgroup: c.workgroup };
      },
      may: authoriser(person.name, permissions ?? {}, (alert) => classify(policy.rules, alert).workgroup),
      ...(this.signIn !== null ? { webSignIn: () => this.webLink(person, direct) } : {}),
      troubles: this.deps.troubles?.() ?? [],
      failed: (shortId, err) =>
        log.error("command: changing one alert failed; the others were tried, and the reply says which", {
          person: person.name,
          alert: shortId,
          err,
        }),
    };
  }

  private webLink(person: Person, direct: boolean): WebSignIn {
    if (!direct || this.signIn === null) return { ok: false, reason: "room" };
    return { ok: true, ...this.signIn(person) };
  }

  private oncall(policy: BotSettings["policy"], workgroup: string | null): OnCallOutcome {
    const { clock } = this.deps;
    const wanted =
      workgroup === null
        ? policy.workgroups
        : [
            findWorkgroup(policy.workgroups, workgroup) ??
              policy.workgroups.find((w) => w.name.toLowerCase() === workgroup.toLowerCase()),
          ];
    if (wanted.some((w) => w === undefined))
      return { ok: false, reason: "unknown-workgroup", known: policy.workgroups.map((w) => w.name) };
    const now = clock.now();
    return {
      ok: true,
      rota: wanted.map((w) => ({ workgroup: w!.name, people: onCall(w!, now, policy.people).map((p) => p.name) })),
    };
  }
}

/**
 * Offers `ack` and `silence` as XEP-0050 ad-hoc commands with XEP-0004 forms, for clients that
 * show them; only configured people see or run them, and they go through the same command door.
 * What a command declared it changed goes to `applyEffects`, as from chat.
 */
export function offerFormCommands(
  adhoc: Adhoc,
  commands: CommandRunner,
  applyEffects: (effects: readonly CommandEffect[]) => Promise<void>,
): void {
  for (const command of FORM_COMMANDS) {
    adhoc.onAdhoc({
      node: command.node,
      name: command.name,
      form: command.form,
      allowed: (jid) => commands.person(jid) !== null,
      async run(fields, from) {
        const result = await commands.runForm(command, fields, from);
        if (result.ok) await applyEffects(result.effects);
        return result;
      },
    });
  }
}
