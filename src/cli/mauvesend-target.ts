import { hostname } from "node:os";
import { readAgentConfigFile } from "../config/agent-config.js";
import { ConfigError } from "../errors.js";

/** Where and as whom mauvesend publishes. */
export interface MauvesendTarget {
  readonly service: string;
  readonly jid: string;
  readonly password: string;
  readonly pubsub: string;
  readonly bot: string;
  /** The source used when `-o` is not given. */
  readonly defaultSource: string;
}

/** The default agent config that mauvesend reads when neither --config nor the environment says otherwise. */
export const DEFAULT_CONFIG = "/etc/mauve/agent.yaml";

const BARE_JID = /^[^\s@/"&'<>:]+@[^\s@/]+$/;

/**
 * Finds the account to publish with: the agent config given by `--config`; else MAUVE_XMPP_JID and
 * MAUVE_XMPP_PASSWORD (MAUVE_XMPP_SERVICE, MAUVE_XMPP_PUBSUB and MAUVE_XMPP_BOT optional) from the
 * environment; else the agent's default config. Returns a sentence saying what is missing otherwise.
 */
export function resolveTarget(config: string | null, env: Readonly<Record<string, string | undefined>>): MauvesendTarget | { error: string } {
  const jid = env["MAUVE_XMPP_JID"];
  if (config === null && jid !== undefined && jid !== "") return fromEnv(jid.toLowerCase(), env);
  const path = config ?? DEFAULT_CONFIG;
  try {
    const c = readAgentConfigFile(path, env);
    return { ...c.xmpp, password: c.xmpp.password.reveal(), defaultSource: c.source };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const hint = config === null ? " (or set MAUVE_XMPP_JID and MAUVE_XMPP_PASSWORD)" : "";
    return { error: `cannot use the config file${hint}: ${err.message}` };
  }
}

function fromEnv(jid: string, env: Readonly<Record<string, string | undefined>>): MauvesendTarget | { error: string } {
  if (!BARE_JID.test(jid)) return { error: `MAUVE_XMPP_JID: expected a bare JID like web1@example.org, got "${jid}"` };
  const password = env["MAUVE_XMPP_PASSWORD"];
  if (password === undefined || password === "") return { error: "MAUVE_XMPP_PASSWORD is not set (MAUVE_XMPP_JID is)" };
  const domain = jid.split("@")[1] ?? "";
  const service = env["MAUVE_XMPP_SERVICE"] || `xmpp://${domain}:5222`;
  if (!/^xmpps?:\/\/[^/\s]+\/?$/.test(service)) return { error: `MAUVE_XMPP_SERVICE: expected a URL like xmpp://127.0.0.1:5222, got "${service}"` };
  return {
    service,
    jid,
    password,
    pubsub: env["MAUVE_XMPP_PUBSUB"] || `pubsub.${domain}`,
    bot: env["MAUVE_XMPP_BOT"] || `alertbot.${domain}`,
    // Mauve's default source is the host name.
    defaultSource: hostname(),
  };
}
