// Where a source's updates live in pubsub: one node per source, under a fixed prefix.
import { CodecError } from "../errors.js";
import { isSourceName, sourceNameProblem } from "./source-name.js";

/** The prefix of every alert node on the pubsub service; the source follows it verbatim. */
export const NODE_PREFIX = "mauve/alerts/";

/** The pubsub node for a source: `mauve/alerts/<source>`. Throws CodecError for a name that breaks the source rule. */
export function sourceToNodeName(source: string): string {
  const problem = sourceNameProblem(source);
  if (problem !== undefined) throw new CodecError(`cannot name a pubsub node: ${problem}`);
  return NODE_PREFIX + source;
}

/** The source whose updates a node carries, or undefined when the node isn't one of ours (or its name breaks the source rule). */
export function nodeNameToSource(node: string): string | undefined {
  if (!node.startsWith(NODE_PREFIX)) return undefined;
  const source = node.slice(NODE_PREFIX.length);
  return isSourceName(source) ? source : undefined;
}
