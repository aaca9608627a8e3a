// Commands over several alerts, each changed in its own transaction: a failure for one says which.
import assert from "node:assert/strict";
import { eachId } from "../../src/commands/each-id.js";
import type { CommandContext } from "../../src/commands/types.js";
import { StorageUnavailableError } from "../../src/errors.js";

describe("eachId (ack, unack, clear over several alerts)", () => {
  const full = new StorageUnavailableError("database or disk is full (SQLITE_FULL)");
  const failed: number[] = [];
  const ctx = { failed: (id: number) => failed.push(id) } as unknown as CommandContext;
  beforeEach(() => (failed.length = 0));

  it("names the alerts that could not be changed, and why, beside those changed", () => {
    const lines = eachId([1, 2, 3], ctx, (id) => {
      if (id === 3) throw full;
      return `#${id} changed`;
    });
    assert.deepEqual(lines, [
      "#1 changed",
      "#2 changed",
      "#3: not changed: I cannot write my database right now (database or disk is full (SQLITE_FULL)); the people on call have been told",
    ]);
    assert.deepEqual(failed, [3], "handed over for the log");
  });

  it("throws on when nothing could be changed, for the command's boundary to say so", () => {
    assert.throws(
      () =>
        eachId([1, 2], ctx, () => {
          throw full;
        }),
      (err) => err === full,
    );
  });
});
