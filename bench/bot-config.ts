// The AlertBot configuration the benchmark runs, written as an admin would write it.
import type { ProsodyHandle } from "../prosody/launcher.js";

/** People of the bench: alice is on call and told everything; bob and carol only send commands. */
export const ON_CALL = "alice";
/** People who send `ack` (two, so that a per-person command rate limit is never what is measured). */
export const ACKERS = ["bob", "carol"] as const;

/** Environment variable that carries the component secret into the bot's config loader. */
export const SECRET_ENV = "BENCH_BOT_SECRET";

/** Where a bench bot connects and keeps its file: the head of every bench config. */
function botConnectionYaml(prosody: ProsodyHandle, database: string): string {
  return `xmpp:
  service: xmpp://127.0.0.1:${prosody.componentPort}
  component: ${prosody.botJid}
  secret_env: ${SECRET_ENV}
  pubsub: ${prosody.pubsubJid}
database: ${JSON.stringify(database)}
`;
}

/** The window of the bench bot's storm limit (see {@link benchBotYaml}). */
export const STORM_LIMIT_WINDOW_MS = 1_000;
/** How many messages the bench bot's storm limit lets through per window. */
export const STORM_LIMIT_COUNT = 10_000;

/**
 * A bot with one workgroup (alice) and the default rules and escalation. The per-person storm
 * limit is raised from "5 per 10m" so that every update reaches alice as a chat message (singles,
 * or one digest when an update changes more than three alerts at once): the benchmark measures
 * the whole path, chat included, rather than a policy holding notices back.
 */
export function benchBotYaml(
  prosody: ProsodyHandle,
  database: string,
  options: { readonly quietDigestEvery?: string | undefined; readonly digestAfter?: number } = {},
): string {
  const { quietDigestEvery, digestAfter } = options;
  const person = (name: string): string => `  - name: ${name}\n    jid: ${name}@${prosody.domain}`;
  return `${botConnectionYaml(prosody, database)}people:
${[ON_CALL, ...ACKERS].map(person).join("\n")}
workgroups:
  - name: ops
    members: [${ON_CALL}]
rules:
  - { level: normal, workgroup: ops }
storm:
  per_person_limit: ${STORM_LIMIT_COUNT} per ${STORM_LIMIT_WINDOW_MS / 1000}s
${quietDigestEvery ? `  quiet_digest_every: ${quietDigestEvery}\n` : ""}${digestAfter ? `  digest_after: ${digestAfter}\n` : ""}log:
  level: info
`;
}
