// Where a source's updates live in pubsub: one node per source, under a fixed prefix.
import { CodecError } from "../errors.js";
import { FIELD_LIMITS } from "./limits.js";
import { charCount, stripControls } from "./text.js";

/** The prefix of every alert node on the pubsub service; the source follows it verbatim. */
export const NODE_PREFIX = "mauve/alerts/";

/**
 * The pubsub node for a source: `mauve/alerts/<source>`. Sources keep whatever Mauve allows
 * ("/" included), so throws CodecError only for an empty, over-long or control-laden source.
 */
export function sourceToNodeName(source: string): string {
  if (source === "" || stripControls(source, false) !== source || charCount(source) > FIELD_LIMITS.source) {
    throw new CodecError("source cannot name a pubsub node (empty, too long or with control characters)");
  }
  return NODE_PREFIX + source;
}

/** The source whose updates a node carries, or undefined when the node isn't one of ours. */
export function nodeNameToSource(node: string): string | undefined {
  if (!node.startsWith(NODE_PREFIX) || node.length === NODE_PREFIX.length) return undefined;
  return node.slice(NODE_PREFIX.length);
}
