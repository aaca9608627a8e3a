import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { loadBotConfig } from "../../src/config/bot-config.js";
import { nextLineChange, onCall, rotationTurn } from "../../src/policy/on-call.js";
import type { Person, Workgroup } from "../../src/policy/types.js";

const Z = (iso: string): number => Date.parse(iso);
const team = loadBotConfig(readFileSync(new URL("../fixtures/config/policy-team.yaml", import.meta.url), "utf8"), {
  file: "policy-team.yaml",
});
const people: readonly Person[] = team.people;
const names = (wg: Workgroup, at: string): string[] => onCall(wg, Z(at), people).map((p) => p.name);

const EVERY_DAY = [1, 2, 3, 4, 5, 6, 7] as const;

/** Day 08:00–20:00 London, turns passing every shift; night the rest, turns passing weekly. */
const ops: Workgroup = {
  name: "ops",
  members: ["erin"],
  timezone: "Europe/London",
  rotation: {
    start: "2026-01-05",
    shifts: [
      { name: "day", days: EVERY_DAY, from: 8 * 60, until: 20 * 60, people: ["alice", "bob"], cycle: "shift" },
      { name: "night", days: EVERY_DAY, from: 20 * 60, until: 8 * 60, people: ["carol", "dave"], cycle: "week" },
    ],
  },
  overrides: [],
  workingHours: null,
  room: null,
  escalation: team.workgroups[0]!.escalation,
};

describe("policy: on call", () => {
  const table: Array<[string, string[], string]> = [
    ["2026-01-05T10:00:00Z", ["alice", "erin"], "Monday's day shift, the rotation's first"],
    ["2026-01-06T10:00:00Z", ["bob", "erin"], "the day turn passes every shift"],
    ["2026-01-05T21:00:00Z", ["carol", "erin"], "first week's night"],
    ["2026-01-06T03:00:00Z", ["carol", "erin"], "after midnight is still Monday's night"],
    ["2026-01-12T07:59:00Z", ["carol", "erin"], "Sunday's night runs into Monday morning"],
    ["2026-01-12T20:00:00Z", ["dave", "erin"], "the night turn passes at the first night of week two"],
    ["2026-01-04T21:00:00Z", ["dave", "erin"], "before the start, turns count backwards"],
  ];
  for (const [at, expected, why] of table) it(`${at}: ${why}`, () => assert.deepEqual(names(ops, at), expected));

  it("hands over at 08:00 local on the night London springs forward (2026-03-29)", () => {
    assert.deepEqual(names(ops, "2026-03-28T20:00:00Z"), ["dave", "erin"]); // 20:00 GMT
    assert.deepEqual(names(ops, "2026-03-29T06:59:00Z"), ["dave", "erin"]); // 07:59 BST
    assert.deepEqual(names(ops, "2026-03-29T07:00:00Z"), ["bob", "erin"]); // 08:00 BST
    assert.deepEqual(names(ops, "2026-03-29T18:59:00Z"), ["bob", "erin"]);
    assert.deepEqual(names(ops, "2026-03-29T19:00:00Z"), ["dave", "erin"]); // 20:00 BST, same week
    assert.deepEqual(names(ops, "2026-03-30T19:00:00Z"), ["carol", "erin"]); // Monday night: next week
  });

  it("hands over at 08:00 local on the night London falls back (2026-10-25)", () => {
    assert.deepEqual(names(ops, "2026-10-24T18:59:00Z"), ["alice", "erin"]); // 19:59 BST
    assert.deepEqual(names(ops, "2026-10-24T19:00:00Z"), ["dave", "erin"]); // 20:00 BST
    assert.deepEqual(names(ops, "2026-10-25T07:30:00Z"), ["dave", "erin"]); // 07:30 GMT: a night an hour longer
    assert.deepEqual(names(ops, "2026-10-25T08:00:00Z"), ["bob", "erin"]);
    assert.deepEqual(rotationTurn(ops.rotation!, ops.timezone, Z("2026-10-25T07:30:00Z"))?.shift, "night");
  });

  it("keeps a shift ending in New York's repeated hour ended: 1 November's 01:00-01:30 EST is the next shift's", () => {
    const newYork: Workgroup = {
      ...ops,
      timezone: "America/New_York",
      members: [],
      rotation: {
        start: "2026-01-05",
        shifts: [
          { name: "evening", days: EVERY_DAY, from: 20 * 60, until: 90, people: ["carol"], cycle: "week" },
          { name: "small", days: EVERY_DAY, from: 90, until: 8 * 60, people: ["dave"], cycle: "week" },
        ],
      },
    };
    assert.deepEqual(names(newYork, "2026-11-01T05:29:00Z"), ["carol"]); // 01:29 EDT
    assert.equal(nextLineChange(newYork, Z("2026-11-01T05:00:00Z")), Z("2026-11-01T05:30:00Z"));
    for (const at of ["2026-11-01T05:30:00Z", "2026-11-01T06:00:00Z", "2026-11-01T06:29:00Z", "2026-11-01T12:59:00Z"])
      assert.deepEqual(names(newYork, at), ["dave"], `${at}: one handover at the first 01:30, none back`);
    assert.deepEqual(names(newYork, "2026-11-01T13:00:00Z"), []); // 08:00 EST
  });

  it("counts turns of a shift only on its own days", () => {
    const weekend: Workgroup = {
      ...ops,
      members: [],
      rotation: {
        start: "2026-01-05",
        shifts: [
          { name: "weekend", days: [6, 7], from: 8 * 60, until: 20 * 60, people: ["alice", "bob"], cycle: "shift" },
        ],
      },
    };
    const turns = ["2026-01-03", "2026-01-04", "2026-01-10", "2026-01-11", "2026-01-17"].map((d) =>
      names(weekend, `${d}T12:00:00Z`),
    );
    assert.deepEqual(turns, [["alice"], ["bob"], ["alice"], ["bob"], ["alice"]]);
    assert.deepEqual(names(weekend, "2026-01-07T12:00:00Z"), []);
  });

  it("puts an override first, for exactly its span, without repeating anyone", () => {
    const covered: Workgroup = {
      ...ops,
      overrides: [{ person: "erin", from: Z("2026-01-05T12:00:00Z"), until: Z("2026-01-05T14:00:00Z") }],
    };
    assert.deepEqual(names(covered, "2026-01-05T11:59:00Z"), ["alice", "erin"]);
    assert.deepEqual(names(covered, "2026-01-05T12:00:00Z"), ["erin", "alice"]);
    assert.deepEqual(names(covered, "2026-01-05T14:00:00Z"), ["alice", "erin"]);
  });

  it("reads override times from the config in the workgroup's zone, or with their own offset", () => {
    const configured = team.workgroups[0]!;
    assert.deepEqual(configured.overrides, [
      { person: "frank", from: Z("2026-02-02T12:00:00Z"), until: Z("2026-02-02T14:00:00Z") },
    ]);
    assert.deepEqual(names(configured, "2026-02-02T13:00:00Z"), ["frank", "alice", "bob"]);
    assert.deepEqual(names(configured, "2026-02-02T21:00:00Z"), ["carol", "alice", "bob"]); // week 5's night
  });

  it("falls back to the members list when no shift covers the time", () => {
    const configured = team.workgroups[0]!;
    assert.deepEqual(names(configured, "2026-01-05T10:00:00Z"), ["alice", "bob"]);
    assert.deepEqual(names(team.workgroups[1]!, "2026-01-05T10:00:00Z"), ["frank"]);
  });
});
