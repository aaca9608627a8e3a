/** The commands package's public surface, for the bot's wiring. */
export { defaultRegistry } from "./default-registry.js";
export { ackCommand, readAckIds, readAckLength, type AckArgs, type AckLength } from "./ack.js";
export { ACK_FORM, FORM_COMMANDS, runFormCommand, SILENCE_FORM, type CommandFormField, type FormCommand } from "./adhoc-forms.js";
export { ALLOWED, authoriser, COMMAND_ACTIONS, mayAct, refusalText, type CommandAction, type Permissions, type Verdict } from "./authorise.js";
export { clearCommand } from "./clear.js";
export { DETAIL_MAX_CHARS, detailCommand, type DetailArgs } from "./detail.js";
export { escalateCommand, type EscalateArgs } from "./escalate.js";
export { ago, alertLine, alertName, alertState, gradeLabel, relative } from "./format.js";
export { helpCommand, registryWithHelp, type HelpArgs } from "./help.js";
export { HISTORY_MAX_LINES, historyCommand, type HistoryArgs } from "./history.js";
export { noteCommand, type NoteArgs } from "./note.js";
export { onCallCommand, type OnCallArgs } from "./oncall.js";
export { parseCommand, splitCommandLine, type ParseResult } from "./parse.js";
export { ANONYMOUS_ROOM_REFUSAL, recognisePerson, STRANGER_REFUSAL, UNSECURED_ROOM_REFUSAL, type Person } from "./person.js";
export { DEFAULT_RATE_LIMIT, RateLimiter, type RateDecision, type RateLimit } from "./rate-limit.js";
export { createRegistry, unknownCommandMessage, type Registry } from "./registry.js";
export { roomCommand } from "./room.js";
export { runCommand, runParsedCommand, type CommandOutcome } from "./run.js";
export { SHOW_LIMIT_MAX, SHOW_MAX_LINES, showCommand, type ShowArgs } from "./show.js";
export { silenceCommand, readSilence, type SilenceArgs } from "./silence.js";
export { exactMatcher, formatMatcher, MATCHER_SYNTAX, parseMatcher, type SilenceTarget } from "./silence-matcher.js";
export { silencesCommand, unsilenceCommand, type UnsilenceArgs } from "./silences.js";
export { unackCommand, idsWithNote, type IdsArgs } from "./unack.js";
export type {
  AckOutcome,
  AlertFilter,
  AlertGrade,
  ArgsResult,
  ChangeOutcome,
  ClearOutcome,
  Command,
  CommandAlerts,
  CommandContext,
  CommandSilences,
  EscalateOutcome,
  HistoryLine,
  NoteOutcome,
  OnCallOutcome,
  PersonChange,
  ShowFilter,
  SilenceRecord,
  UnackOutcome,
} from "./types.js";
