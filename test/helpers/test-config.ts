// Bot configs for unit tests: the xmpp and database lines every config needs, then the test's own
// people, workgroups and rules, loaded by the real loader.
import { loadBotConfig, type BotConfig } from "../../src/config/bot-config.js";

/** The lines every bot config needs, for a server on `domain` and a store in memory. */
export function configHead(domain = "mauve.localhost"): string {
  return `xmpp: { component: alertbot.${domain}, secret: s, pubsub: pubsub.${domain} }
database: ":memory:"
`;
}

/** Loads `yaml` (people, workgroups, rules...) after configHead(domain), as alertbot.yaml. */
export function testConfig(yaml: string, domain = "mauve.localhost"): BotConfig {
  return loadBotConfig(configHead(domain) + yaml, { file: "alertbot.yaml" });
}
