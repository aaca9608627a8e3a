import assert from "node:assert/strict";
import {
  addOpenTime,
  isOpen,
  nextClosing,
  nextOpening,
  windowNamed,
  workingHoursWindow,
} from "../../src/policy/windows.js";
import type { Window } from "../../src/policy/types.js";
import { instantAt, localTime, parseDate, zoneOffset } from "../../src/policy/zoned-time.js";

const Z = (iso: string): number => Date.parse(iso);
const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const H = 3_600_000;

const office: Window = {
  timezone: "Europe/London",
  days: [1, 2, 3, 4, 5],
  from: 9 * 60,
  until: 17 * 60 + 30,
  holidays: ["2026-12-25", "2026-12-28"],
};

describe("policy: zoned time", () => {
  it("reads local wall clocks on both sides of Europe/London's changes", () => {
    assert.equal(zoneOffset(Z("2026-03-29T00:59:00Z"), "Europe/London"), 0);
    assert.equal(zoneOffset(Z("2026-03-29T01:00:00Z"), "Europe/London"), H);
    assert.equal(zoneOffset(Z("2026-10-25T00:59:00Z"), "Europe/London"), H);
    assert.equal(zoneOffset(Z("2026-10-25T01:00:00Z"), "Europe/London"), 0);
    const t = localTime(Z("2026-03-29T01:00:00Z"), "Europe/London");
    assert.deepEqual(t, { day: parseDate("2026-03-29"), minute: 120, weekday: 7 });
  });

  it("maps local times to instants: normal, skipped (spring) and repeated (autumn)", () => {
    const day = (d: string): number => parseDate(d) ?? NaN;
    assert.equal(iso(instantAt(day("2026-03-29"), 8 * 60, "Europe/London")), "2026-03-29T07:00:00.000Z");
    assert.equal(iso(instantAt(day("2026-03-28"), 8 * 60, "Europe/London")), "2026-03-28T08:00:00.000Z");
    // 01:30 does not exist on 29 March: the first moment at or after it is 02:00 BST.
    assert.equal(iso(instantAt(day("2026-03-29"), 90, "Europe/London")), "2026-03-29T01:00:00.000Z");
    // 01:30 happens twice on 25 October: the first one (BST) is taken.
    assert.equal(iso(instantAt(day("2026-10-25"), 90, "Europe/London")), "2026-10-25T00:30:00.000Z");
    assert.equal(iso(instantAt(day("2026-11-01"), 9 * 60, "America/New_York")), "2026-11-01T14:00:00.000Z");
    assert.equal(iso(instantAt(day("2026-03-08"), 150, "America/New_York")), "2026-03-08T07:00:00.000Z");
  });

  it("rejects dates that do not exist", () => {
    assert.equal(parseDate("2026-02-29"), null);
    assert.equal(parseDate("2028-02-29"), Date.UTC(2028, 1, 29) / 86_400_000);
    assert.equal(parseDate("26-1-1"), null);
  });
});

describe("policy: windows", () => {
  const table: Array<[string, boolean]> = [
    ["2026-01-05T08:59:00Z", false], // Monday, GMT
    ["2026-01-05T09:00:00Z", true],
    ["2026-01-05T17:29:59Z", true],
    ["2026-01-05T17:30:00Z", false],
    ["2026-01-10T12:00:00Z", false], // Saturday
    ["2026-03-30T08:00:00Z", true], // Monday after the change: 09:00 BST
    ["2026-03-30T07:59:00Z", false],
    ["2026-12-25T12:00:00Z", false], // holiday (a Friday)
    ["2026-12-28T12:00:00Z", false], // holiday (a Monday)
    ["2026-12-29T12:00:00Z", true],
  ];
  for (const [at, open] of table)
    it(`office is ${open ? "open" : "shut"} at ${at}`, () => assert.equal(isOpen(office, Z(at)), open));

  it("finds the next opening across a weekend with a clock change", () => {
    // Friday 27 March 17:30 GMT; Monday opens at 09:00 BST, an hour earlier in UTC than the week before.
    assert.equal(iso(nextOpening(office, Z("2026-03-27T17:30:00Z"))), "2026-03-30T08:00:00.000Z");
    assert.equal(iso(nextOpening(office, Z("2026-10-23T17:30:00Z"))), "2026-10-26T09:00:00.000Z");
  });

  it("skips holidays and gives now when already open", () => {
    assert.equal(iso(nextOpening(office, Z("2026-12-24T17:30:00Z"))), "2026-12-29T09:00:00.000Z");
    assert.equal(nextOpening(office, Z("2026-12-29T12:00:00Z")), Z("2026-12-29T12:00:00Z"));
  });

  it("reads the same instant on each window's own clock", () => {
    const newYork: Window = { ...office, timezone: "America/New_York", until: 17 * 60, holidays: [] };
    // 9 March 2026: New York is on EDT (UTC-4) already, London still on GMT.
    assert.equal(isOpen(newYork, Z("2026-03-09T12:59:00Z")), false);
    assert.equal(isOpen(newYork, Z("2026-03-09T13:00:00Z")), true);
    assert.equal(isOpen(office, Z("2026-03-09T13:00:00Z")), true);
    assert.equal(isOpen(newYork, Z("2026-03-09T21:00:00Z")), false);
    assert.equal(isOpen(office, Z("2026-03-09T21:00:00Z")), false);
    assert.equal(iso(nextOpening(newYork, Z("2026-03-06T22:00:00Z"))), "2026-03-09T13:00:00.000Z");
  });

  it("keeps an overnight window open past midnight, counted from the day it opened", () => {
    const fridayNight: Window = { timezone: "Europe/London", days: [5], from: 22 * 60, until: 6 * 60, holidays: [] };
    assert.equal(isOpen(fridayNight, Z("2026-03-27T21:59:00Z")), false);
    assert.equal(isOpen(fridayNight, Z("2026-03-27T22:00:00Z")), true);
    assert.equal(isOpen(fridayNight, Z("2026-03-28T05:59:00Z")), true); // Saturday 05:59, Friday's night
    assert.equal(isOpen(fridayNight, Z("2026-03-28T06:00:00Z")), false);
    assert.equal(isOpen(fridayNight, Z("2026-03-28T23:00:00Z")), false); // Saturday night is not Friday's
    assert.equal(iso(nextOpening(fridayNight, Z("2026-03-28T06:00:00Z"))), "2026-04-03T21:00:00.000Z"); // 22:00 BST
  });

  it("opens at the end of the gap when its start time is skipped, and at the first of a repeated time", () => {
    const early: Window = {
      timezone: "Europe/London",
      days: [1, 2, 3, 4, 5, 6, 7],
      from: 90,
      until: 180,
      holidays: [],
    };
    const spring = nextOpening(early, Z("2026-03-29T00:00:00Z"));
    assert.equal(iso(spring), "2026-03-29T01:00:00.000Z");
    assert.equal(isOpen(early, spring ?? 0), true);
    assert.equal(isOpen(early, Z("2026-03-29T00:59:59Z")), false);
    assert.equal(iso(nextOpening(early, Z("2026-10-25T00:00:00Z"))), "2026-10-25T00:30:00.000Z");
  });

  it("steps over long runs of holidays, and gives null when it never opens within two years", () => {
    const mondays = (n: number): string[] =>
      Array.from({ length: n }, (_, i) => new Date(Date.UTC(2026, 0, 5 + 7 * i)).toISOString().slice(0, 10));
    const once: Window = { timezone: "UTC", days: [1], from: 0, until: 60, holidays: [] };
    const start = Z("2026-01-01T00:00:00Z");
    assert.equal(iso(nextOpening(once, start)), "2026-01-05T00:00:00.000Z");
    assert.equal(iso(nextOpening({ ...once, holidays: mondays(100) }, start)), "2027-12-06T00:00:00.000Z");
    assert.equal(nextOpening({ ...once, holidays: mondays(120) }, start), null);
  });

  it("finds a window by the name a rule or a step gives, and nothing for a name not configured", () => {
    const windows = { office, night: { ...office, from: 22 * 60, until: 6 * 60 } };
    assert.equal(windowNamed({ windows }, "office"), office);
    assert.equal(windowNamed({ windows }, "night"), windows.night);
    for (const name of [null, undefined, "weekend", "constructor", "toString", "__proto__"])
      assert.equal(windowNamed({ windows }, name), undefined, String(name));
    assert.equal(workingHoursWindow({ windows }, { workingHours: "night" }), windows.night);
    assert.equal(workingHoursWindow({ windows }, { workingHours: "constructor" }), office, "else the first");
  });
});

describe("policy: windows on the nights the clocks change (real change dates)", () => {
  const everyDay = [1, 2, 3, 4, 5, 6, 7] as const;
  const hours = (zone: string, from: number, until: number): Window => ({
    timezone: zone,
    days: [...everyDay],
    from,
    until,
    holidays: [],
  });

  it("20:00-01:30 New York shuts at the first 01:30 on 1 November and stays shut through the repeated half hour", () => {
    const evening = hours("America/New_York", 20 * 60, 90);
    assert.equal(isOpen(evening, Z("2026-11-01T00:00:00Z")), true); // Saturday 20:00 EDT
    assert.equal(isOpen(evening, Z("2026-11-01T05:29:00Z")), true); // 01:29 EDT
    assert.equal(iso(nextClosing(evening, Z("2026-11-01T05:29:00Z"))), "2026-11-01T05:30:00.000Z");
    for (const at of ["2026-11-01T05:30:00Z", "2026-11-01T06:00:00Z", "2026-11-01T06:29:00Z", "2026-11-01T06:30:00Z"])
      assert.equal(isOpen(evening, Z(at)), false, `${at}: 01:30 EDT to 01:30 EST is after the night's one closing`);
    assert.equal(nextClosing(evening, Z("2026-11-01T06:00:00Z")), null);
    assert.equal(iso(nextOpening(evening, Z("2026-11-01T06:00:00Z"))), "2026-11-02T01:00:00.000Z"); // Sunday 20:00 EST
    // Six open hours from Saturday 20:00: five and a half that night, the last half hour on Sunday's.
    assert.equal(iso(addOpenTime(evening, Z("2026-11-01T00:00:00Z"), 6 * H)), "2026-11-02T01:30:00.000Z");
  });

  it("a window opening in New York's repeated hour opens at the first and stays open through the second", () => {
    const small = hours("America/New_York", 90, 5 * 60);
    assert.equal(isOpen(small, Z("2026-11-01T05:29:00Z")), false);
    assert.equal(iso(nextOpening(small, Z("2026-11-01T05:00:00Z"))), "2026-11-01T05:30:00.000Z"); // 01:30 EDT
    for (const at of ["2026-11-01T05:30:00Z", "2026-11-01T06:00:00Z", "2026-11-01T06:29:00Z", "2026-11-01T09:59:00Z"])
      assert.equal(isOpen(small, Z(at)), true, at);
    assert.equal(isOpen(small, Z("2026-11-01T10:00:00Z")), false); // 05:00 EST
    assert.equal(iso(addOpenTime(small, Z("2026-11-01T05:30:00Z"), 4 * H)), "2026-11-01T09:30:00.000Z");
  });

  it("on 8 March in New York a window ending at 02:30 shuts at 03:00 EDT, and one starting then opens at 03:00 EDT", () => {
    const evening = hours("America/New_York", 20 * 60, 150);
    assert.equal(isOpen(evening, Z("2026-03-08T06:59:00Z")), true); // 01:59 EST
    assert.equal(isOpen(evening, Z("2026-03-08T07:00:00Z")), false); // 03:00 EDT
    assert.equal(iso(nextClosing(evening, Z("2026-03-08T01:00:00Z"))), "2026-03-08T07:00:00.000Z");
    const early = hours("America/New_York", 150, 6 * 60);
    assert.equal(isOpen(early, Z("2026-03-08T06:59:00Z")), false);
    assert.equal(iso(nextOpening(early, Z("2026-03-08T05:00:00Z"))), "2026-03-08T07:00:00.000Z");
    assert.equal(iso(nextClosing(early, Z("2026-03-08T07:00:00Z"))), "2026-03-08T10:00:00.000Z"); // 06:00 EDT
    assert.equal(iso(addOpenTime(early, Z("2026-03-08T05:00:00Z"), 4 * H)), "2026-03-09T07:30:00.000Z"); // 3h, then 1h from 02:30 EDT
  });

  it("a window the clocks skip whole (02:00-02:30 New York, 8 March) does not open that night", () => {
    const gap = hours("America/New_York", 120, 150);
    assert.equal(isOpen(gap, Z("2026-03-08T07:00:00Z")), false);
    assert.equal(iso(nextOpening(gap, Z("2026-03-08T05:00:00Z"))), "2026-03-09T06:00:00.000Z"); // Monday 02:00 EDT
    assert.equal(iso(addOpenTime(gap, Z("2026-03-08T05:00:00Z"), 10 * 60_000)), "2026-03-09T06:10:00.000Z");
  });

  it("22:00-01:30 London shuts at the first 01:30 on 25 October, and at 02:00 BST on 29 March", () => {
    const late = hours("Europe/London", 22 * 60, 90);
    assert.equal(isOpen(late, Z("2026-10-24T21:00:00Z")), true); // 22:00 BST
    assert.equal(isOpen(late, Z("2026-10-25T00:29:00Z")), true); // 01:29 BST
    for (const at of ["2026-10-25T00:30:00Z", "2026-10-25T01:00:00Z", "2026-10-25T01:29:00Z"])
      assert.equal(isOpen(late, Z(at)), false, `${at}: after the first 01:30`);
    assert.equal(iso(nextOpening(late, Z("2026-10-25T01:00:00Z"))), "2026-10-25T22:00:00.000Z");
    assert.equal(isOpen(late, Z("2026-03-28T22:00:00Z")), true); // 22:00 GMT
    assert.equal(isOpen(late, Z("2026-03-29T00:59:00Z")), true); // 00:59 GMT
    assert.equal(isOpen(late, Z("2026-03-29T01:00:00Z")), false); // 02:00 BST: 01:30 never came
    assert.equal(iso(nextClosing(late, Z("2026-03-28T22:00:00Z"))), "2026-03-29T01:00:00.000Z");
  });
});
