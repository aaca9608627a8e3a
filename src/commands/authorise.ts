import type { AlertRecord } from "../alerts/types.js";

declare const recognised: unique symbol;

/**
 * A configured person, as the only kind of sender commands accept. The brand can only come
 * from {@link recognisePerson}, so a stranger's JID cannot reach a handler by mistake.
 */
export type Person = { readonly name: string; readonly jid: string } & { readonly [recognised]: true };

/** Finds the configured person a stanza came from (full or bare JID, any case), or null for a stranger. */
export function recognisePerson(people: readonly { name: string; jid: string }[], fromJid: string): Person | null {
  const bare = (fromJid.split("/")[0] ?? "").toLowerCase();
  const found = people.find((p) => p.jid.toLowerCase() === bare);
  // The single place the brand is granted.
  return found === undefined ? null : ({ name: found.name, jid: found.jid } as Person);
}

/** The reply to a stranger: polite, and nothing changes. */
export const STRANGER_REFUSAL = "Sorry, I only take commands from the people in my configuration.";

/**
 * The reply to a command said in a room where the bot cannot see who said it: a nick alone
 * proves nothing (anyone may take any free nick), so the command is refused, saying why.
 */
export const ANONYMOUS_ROOM_REFUSAL =
  "Sorry, I can't see your real address in this room, so I can't tell who you are and won't act on commands here. " +
  "A room owner can make the room non-anonymous (real JIDs visible to anyone), or message me directly.";

/**
 * The reply to a command said in a workgroup room the bot could not secure (members-only,
 * non-anonymous, hidden): anyone on the server might be listening, so it acts on nothing there.
 */
export const UNSECURED_ROOM_REFUSAL =
  "Sorry, I can't keep this room to the workgroup (members-only, real JIDs visible, not listed), so I post nothing here " +
  "and won't act on commands. Make me an owner of the room, or message me directly.";

/**
 * The actions a workgroup may restrict. `ack` also covers `unack`, `silence` also covers
 * `unsilence`; reading (show, detail, history, oncall) and `note` stay open to every configured
 * person, because they change nobody's notifications.
 */
export type CommandAction = "ack" | "clear" | "silence" | "escalate";

/** Every restrictable action, in the order help and config docs list them. */
export const COMMAND_ACTIONS: readonly CommandAction[] = ["ack", "clear", "silence", "escalate"];

/**
 * Who may do what, per workgroup name: for each action, the names of the people allowed
 * (`"*"` for everyone). The workgroup `"*"` applies where a workgroup says nothing about an
 * action. An action nobody restricts is open to every configured person: that is the default.
 */
export type Permissions = Readonly<Record<string, Readonly<Partial<Record<CommandAction, readonly string[]>>>>>;

/** Whether a permission check passed; a refusal says which workgroup refused (null: a silence spanning workgroups). */
export type Verdict = { readonly ok: true } | { readonly ok: false; readonly workgroup: string | null };

/** The verdict of an open door. */
export const ALLOWED: Verdict = Object.freeze({ ok: true });

function listed(people: readonly string[] | undefined, person: string): boolean {
  if (people === undefined) return true;
  const name = person.toLowerCase();
  return people.some((p) => p === "*" || p.toLowerCase() === name);
}

function allowedIn(person: string, action: CommandAction, workgroup: string, permissions: Permissions): boolean {
  const own = Object.hasOwn(permissions, workgroup) ? permissions[workgroup]?.[action] : undefined;
  return listed(own ?? permissions["*"]?.[action], person);
}

/**
 * Whether `person` (a configured person's name) may do `action` to an alert of `alertWorkgroup`.
 * With `alertWorkgroup` null (a silence whose matcher may reach any workgroup's alerts) the
 * person must be allowed in every workgroup that restricts the action, and by `"*"`.
 */
export function mayAct(
  person: string,
  action: CommandAction,
  alertWorkgroup: string | null,
  permissions: Permissions,
): boolean {
  if (alertWorkgroup !== null) return allowedIn(person, action, alertWorkgroup, permissions);
  return Object.keys(permissions).every((workgroup) => allowedIn(person, action, workgroup, permissions));
}

/**
 * The `may` function of a CommandContext for one person: `workgroupOf` names an alert's
 * workgroup (the bot classifies it with the policy's rules).
 */
export function authoriser(
  person: string,
  permissions: Permissions,
  workgroupOf: (alert: AlertRecord) => string,
): (action: CommandAction, alert: AlertRecord | null) => Verdict {
  return (action, alert) => {
    const workgroup = alert === null ? null : workgroupOf(alert);
    return mayAct(person, action, workgroup, permissions) ? ALLOWED : { ok: false, workgroup };
  };
}

const VERBS: Readonly<Record<CommandAction, string>> = {
  ack: "acknowledge",
  clear: "clear",
  silence: "silence",
  escalate: "escalate",
};

/** The human sentence for a refusal, e.g. "you may not acknowledge alerts of workgroup db". */
export function refusalText(action: CommandAction, workgroup: string | null): string {
  const whose = workgroup === null ? "across workgroups" : `alerts of workgroup ${workgroup}`;
  return `you may not ${VERBS[action]} ${whose} (ask someone listed in its permissions)`;
}
