import type { HostDownConfig, StormConfig } from "../policy/types.js";
import { object, optional, transform } from "../schema/combinators.js";
import { rate } from "./policy-scalars.js";
import type { Reader } from "../schema/reader.js";
import { duration, int } from "../schema/scalars.js";

const MINUTE = 60_000;
const DAY = 86_400_000;

/** Reads `storm`: a per-person rate limit and digest settings, all with defaults. */
export const stormSection: Reader<StormConfig> = optional(
  transform(
    object({
      per_person_limit: optional(rate(), "5 per 10m"),
      digest_after: optional(int(1, 1000), 3),
      digest_top: optional(int(1, 50), 3),
      quiet_digest_every: optional(duration({ min: MINUTE, max: 7 * DAY }), "1h"),
    }),
    (s) => ({ limit: s.perPersonLimit, digestAfter: s.digestAfter, digestTop: s.digestTop, quietDigestEvery: s.quietDigestEvery }),
  ),
  {},
);

/** Reads `host_down`: how long an agent may be silent before its host counts as down. */
export const hostDownSection: Reader<HostDownConfig> = optional(
  object({
    grace: optional(duration({ min: 0, max: DAY }), "5m"),
    importance: optional(int(0, 4_294_967_295), 100),
  }),
  {},
);
