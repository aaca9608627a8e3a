import assert from "node:assert/strict";
import { addOpenTime } from "../../src/policy/windows.js";
import type { Window } from "../../src/policy/types.js";

const office: Window = {
  timezone: "Europe/London",
  days: [1, 2, 3, 4, 5],
  from: 9 * 60,
  until: 17 * 60 + 30,
  holidays: ["2026-12-25"],
};
const Z = (iso: string): number => Date.parse(iso);

describe("addOpenTime (working hours)", () => {
  it("counts only open time: Friday 16:00 + 4 working hours is Monday 11:30", () => {
    assert.equal(addOpenTime(office, Z("2026-01-09T16:00:00Z"), 4 * 3_600_000), Z("2026-01-12T11:30:00Z"));
  });
  it("starts counting when the window opens, and skips holidays", () => {
    assert.equal(addOpenTime(office, Z("2026-12-24T20:00:00Z"), 3_600_000), Z("2026-12-28T10:00:00Z"));
  });
  it("follows the zone across a clock change (BST: 09:00 local is 08:00Z)", () => {
    assert.equal(addOpenTime(office, Z("2026-03-30T07:00:00Z"), 3_600_000), Z("2026-03-30T09:00:00Z"));
  });
});
