// The codec's public API: Mauve protobuf <-> AlertUpdate, payload wrapping, bounds and sanitising.
export type { Alert, AlertUpdate } from "./types.js";
export { MAX_UPDATE_BYTES, FIELD_LIMITS } from "./limits.js";
export type { LimitedField } from "./limits.js";
export { decodeUpdate, decodeUpdateWithNotes } from "./decode.js";
export { encodeUpdate } from "./encode.js";
export { sanitiseUpdate } from "./sanitise-update.js";
export type { SanitisedUpdate } from "./sanitise-update.js";
export { sanitiseHtml, sanitiseDetail, MAX_HTML_DEPTH, toPlainText, safeUrl } from "./html.js";
export { stripControls, truncateChars, charCount, oneLine, foldLines, quoteLines, ellipsize } from "./text.js";
export { NS_MAUVE_UPDATE, MAX_BASE64_CHARS, wrapPayload, unwrapPayload, payloadBytes } from "./payload.js";
export type { UpdatePayload } from "./payload.js";
export { summariseUpdate, SUMMARY_MAX_CHARS } from "./summary.js";
export { NODE_PREFIX, sourceToNodeName, nodeNameToSource } from "./node-name.js";
export { SOURCE_NAME_RULE, isSourceName, sourceKey, sourceNameProblem } from "./source-name.js";
