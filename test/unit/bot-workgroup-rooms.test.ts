// Workgroup rooms (src/bot/workgroup-rooms.ts): a room AlertBot could not join or secure, or that
// put it out, is tried again with a back-off, not left unsecured, posting nothing, until a rejoin or
// a reload; a room it left of its own accord is not.
import assert from "node:assert/strict";
import { missedLinesNotice, WorkgroupRooms } from "../../src/bot/workgroup-rooms.js";
import type { CommandRunner } from "../../src/bot/command-runner.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import type { Muc, JoinedRoom, Occupant, RoomExit } from "../../src/xmpp/muc.js";
import type { Person, Workgroup } from "../../src/policy/types.js";
import { LogLines } from "../helpers/spine.js";

const ROOM = "ops@conference.mauve.localhost";

/** A MUC service in memory: AlertBot is an owner of the room once `owner` is set. */
class FakeMuc {
  owner = false;
  joinFails = false;
  joined = new Map<string, JoinedRoom & { occupants: Occupant[] }>();
  features: string[] = [];
  members: string[] = [];
  said: string[] = [];
  private exitHandler: ((exit: RoomExit) => void) | undefined;
  /** The room puts AlertBot out (as muc.ts reports a self-presence of type unavailable). */
  putOut(room: string, reason: RoomExit["reason"], text?: string): void {
    this.joined.delete(room);
    this.exitHandler?.({ room, reason, ...(text ? { text } : {}) });
  }
  readonly muc = {
    join: async (room: string, nick: string) => {
      if (this.joinFails) return { ok: false, condition: "remote-server-not-found" };
      const r = { room, nick, anonymity: "non-anonymous" as const, created: false, occupants: [] };
      this.joined.set(room, r);
      return { ok: true, ...r };
    },
    leave: async (room: string) => this.putOut(room, "left"),
    sendGroupchat: async (_room: string, body: string) => void this.said.push(body),
    room: (room: string) => this.joined.get(room),
    onGroupchat: () => () => undefined,
    onExit: (handler: (exit: RoomExit) => void) => {
      this.exitHandler = handler;
      return () => undefined;
    },
    onRoomChanged: () => () => undefined,
    roomFeatures: async () => ({ ok: true, features: this.features }),
    affiliations: async (_room: string, a: string) =>
      this.owner ? { ok: true, jids: a === "member" ? this.members : [] } : { ok: false, condition: "forbidden" },
    setAffiliations: async (_room: string, changes: ReadonlyArray<{ jid: string }>) => {
      if (!this.owner) return { ok: false, condition: "forbidden" };
      this.members.push(...changes.map((c) => c.jid));
      return { ok: true };
    },
    configure: async () => {
      if (!this.owner) return { ok: false, condition: "forbidden" };
      this.features = ["muc_membersonly", "muc_nonanonymous", "muc_hidden"];
      return { ok: true };
    },
  } as unknown as Muc;
}

const people: Person[] = [{ name: "alice", jid: "alice@mauve.localhost" } as Person];
const workgroups = [{ name: "ops", room: ROOM, members: ["alice"], overrides: [] } as unknown as Workgroup];

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe("workgroup rooms: trying again", () => {
  function setUp() {
    const clock = new FakeClock(0);
    const fake = new FakeMuc();
    const log = new LogLines();
    const rooms = new WorkgroupRooms(fake.muc, {} as CommandRunner, log.logger, async () => undefined, {
      clock,
      backoff: { initialDelayMs: 5_000, maxDelayMs: 60_000 },
      random: () => 1 - Number.EPSILON,
    });
    return { clock, fake, rooms, log };
  }

  it("secures a room once AlertBot is made its owner, without a rejoin or a reload", async () => {
    const { clock, fake, rooms } = setUp();
    await rooms.join(workgroups, people);
    assert.equal(rooms.isSecured(ROOM), false);
    clock.advance(5_000);
    await settle();
    assert.equal(rooms.isSecured(ROOM), false, "still not an owner: tried again, and not yet");
    fake.owner = true;
    clock.advance(10_000);
    await settle();
    assert.equal(rooms.isSecured(ROOM), true);
    await rooms.post("ops", () => "RAISED #1 web1 disk");
    assert.deepEqual(fake.said, ["RAISED #1 web1 disk"]);
    assert.deepEqual(fake.members, ["alice@mauve.localhost"]);
    rooms.stop();
  });

  it("joins again a room it could not join, and secures it then", async () => {
    const { clock, fake, rooms } = setUp();
    fake.owner = true;
    fake.joinFails = true;
    await rooms.join(workgroups, people);
    assert.equal(rooms.isSecured(ROOM), false);
    fake.joinFails = false;
    clock.advance(5_000);
    await settle();
    assert.equal(rooms.isSecured(ROOM), true);
    rooms.stop();
  });

  it("tries nothing more for a room no workgroup uses any more, nor after stop", async () => {
    const { clock, fake, rooms } = setUp();
    await rooms.join(workgroups, people);
    await rooms.join([], people);
    fake.owner = true;
    clock.advance(60_000);
    await settle();
    assert.equal(fake.joined.size, 0);
    assert.equal(clock.pendingTimers(), 0);
    rooms.stop();
  });
});

describe("workgroup rooms: put out of a room", () => {
  function setUp() {
    const clock = new FakeClock(0);
    const fake = new FakeMuc();
    fake.owner = true;
    const log = new LogLines();
    // random just below 1: the first delay is the whole 5 s, the next 10 s, then 20 s.
    const rooms = new WorkgroupRooms(fake.muc, {} as CommandRunner, log.logger, async () => undefined, {
      clock,
      backoff: { initialDelayMs: 5_000, maxDelayMs: 60_000 },
      random: () => 1 - Number.EPSILON,
    });
    return { clock, fake, rooms, log };
  }

  it("joins again on the back-off a room that kicked it, secures it and posts there again", async () => {
    const { clock, fake, rooms, log } = setUp();
    await rooms.join(workgroups, people);
    assert.equal(rooms.isSecured(ROOM), true);
    fake.putOut(ROOM, "kicked", "flooding the room");
    assert.equal(rooms.isSecured(ROOM), false);
    await rooms.post("ops", () => "RAISED #1 web1 disk");
    assert.deepEqual(fake.said, [], "nothing posted while out");
    const [said, ...more] = log.withMsg("put out of a workgroup room: posting nothing there until back in");
    assert.deepEqual(
      [said?.["level"], said?.["reason"], said?.["text"], more.length],
      ["error", "kicked", "flooding the room", 0],
    );
    clock.advance(4_999);
    await settle();
    assert.equal(fake.joined.size, 0, "not before the first delay");
    clock.advance(1);
    await settle();
    assert.equal(rooms.isSecured(ROOM), true);
    assert.equal(log.withMsg("back in a workgroup room: posting there again")[0]?.["outBecause"], "kicked");
    await rooms.post("ops", () => "RAISED #2 web1 load");
    // The room hears first that it missed a line: its quiet meant nothing had happened.
    assert.deepEqual(fake.said, [
      'I was out of this room for 5s (kicked): 1 notice was not posted here meanwhile; their people were told directly. Say "AlertBot: show" for what is raised now.',
      "RAISED #2 web1 load",
    ]);
    assert.equal(clock.pendingTimers(), 0);
    rooms.stop();
  });

  it("says why it was out in the words a room's people read", () => {
    assert.equal(
      missedLinesNotice({ lines: 2, since: 0 }, "destroyed", 90_000),
      'I was out of this room for 1m30s (the room was destroyed): 2 notices were not posted here meanwhile; their people were told directly. Say "AlertBot: show" for what is raised now.',
    );
    assert.match(
      missedLinesNotice({ lines: 1, since: 0 }, "shutdown", 1_000),
      /\(the service shut down\): 1 notice was/,
    );
  });

  it("a room AlertBot could not secure hears, once it can, how many lines it missed and for how long", async () => {
    const { clock, fake, rooms } = setUp();
    fake.owner = false;
    await rooms.join(workgroups, people);
    assert.equal(rooms.isSecured(ROOM), false, "not an owner: not secured");
    for (const n of [1, 2, 3]) await rooms.post("ops", () => `RAISED #${n} web1 disk`);
    clock.advance(3 * 3_600_000);
    await settle();
    fake.owner = true;
    clock.advance(60_000); // the next try, at most the back-off's longest delay later
    await settle();
    assert.equal(rooms.isSecured(ROOM), true);
    assert.deepEqual(fake.said, [
      'I could not post in this room for 3h1m: 3 notices were not posted here meanwhile; their people were told directly. Say "AlertBot: show" for what is raised now.',
    ]);
    // Said once: the next line is the next notice.
    await rooms.post("ops", () => "RAISED #4 web1 load");
    assert.deepEqual(fake.said.slice(1), ["RAISED #4 web1 load"]);
    rooms.stop();
  });

  it("kicked again as soon as it is back, comes back later each time; after a stay, at the first delay again", async () => {
    const { clock, fake, rooms } = setUp();
    await rooms.join(workgroups, people);
    /** Puts AlertBot out, and returns how long it took to be back in (secured). */
    const kickedBackAfter = async (): Promise<number> => {
      fake.putOut(ROOM, "kicked");
      const from = clock.now();
      while (!rooms.isSecured(ROOM)) {
        clock.advance(1_000);
        await settle();
        assert.ok(clock.now() - from <= 120_000, "back within the longest delay");
      }
      return clock.now() - from;
    };
    // A moderator who kicks it as soon as it is back: 5, 10, 20, 40 s, then the longest (60 s here).
    const delays = [];
    for (let i = 0; i < 5; i++) {
      delays.push(await kickedBackAfter());
      // A reload between two kicks secures the room again: that is no stay either.
      if (i === 1) await rooms.join(workgroups, people);
    }
    assert.deepEqual(delays, [5_000, 10_000, 20_000, 40_000, 60_000]);
    // It stayed ten minutes: the next kick is tried again at the first delay.
    clock.advance(10 * 60_000);
    await settle();
    assert.equal(await kickedBackAfter(), 5_000);
    rooms.stop();
  });

  it("tries a ban again on the same back-off while it lasts, said as an error once", async () => {
    const { clock, fake, rooms, log } = setUp();
    await rooms.join(workgroups, people);
    fake.putOut(ROOM, "banned");
    fake.joinFails = true;
    clock.advance(5_000);
    await settle();
    clock.advance(10_000);
    await settle();
    assert.equal(rooms.isSecured(ROOM), false);
    assert.equal(log.withMsg("cannot join workgroup room yet").length, 2);
    assert.equal(log.lines.filter((l) => l["level"] === "error").length, 1, log.text());
    fake.joinFails = false; // an admin lifted the ban
    clock.advance(20_000);
    await settle();
    assert.equal(rooms.isSecured(ROOM), true);
    rooms.stop();
  });

  it("does not go back into a room it left itself: one no workgroup names any more, or when stopping", async () => {
    const { clock, fake, rooms, log } = setUp();
    await rooms.join(workgroups, people);
    await rooms.join([], people); // the reload's leave comes back as an exit, reason "left"
    clock.advance(60_000);
    await settle();
    assert.equal(fake.joined.size, 0);
    assert.equal(clock.pendingTimers(), 0);

    await rooms.join(workgroups, people);
    rooms.stop();
    fake.putOut(ROOM, "shutdown");
    clock.advance(60_000);
    await settle();
    assert.equal(fake.joined.size, 0);
    assert.equal(clock.pendingTimers(), 0);
    assert.equal(log.lines.filter((l) => l["level"] === "error").length, 0, log.text());
  });
});
