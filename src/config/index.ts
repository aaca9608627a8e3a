/** The config package's public surface, for entry points. */
export { loadAgentConfig, readAgentConfigFile } from "./agent-config.js";
export type { AgentConfig, AgentXmppConfig, StaticAlertConfig } from "./agent-config.js";
export { loadBotConfig, readBotConfigFile } from "./bot-config.js";
export type { BotAlertsConfig, BotConfig, BotXmppConfig } from "./bot-config.js";
export type { LogConfig, PersonConfig } from "./common.js";
export { formatDuration, parseDuration } from "../util/duration.js";
export { InvalidConfigError } from "./load.js";
export type { ConfigIssue, LoadOptions } from "./load.js";
export { Secret } from "../schema/secret.js";
