// Workgroup rooms (src/bot/workgroup-rooms.ts): a room AlertBot could not join or secure is tried
// again with a back-off, not left unsecured, posting nothing, until a rejoin or a reload.
import assert from "node:assert/strict";
import { WorkgroupRooms } from "../../src/bot/workgroup-rooms.js";
import type { CommandRunner } from "../../src/bot/command-runner.js";
import { FakeClock } from "../../src/clock/fake-clock.js";
import type { Muc, JoinedRoom, Occupant } from "../../src/xmpp/muc.js";
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
  readonly muc = {
    join: async (room: string, nick: string) => {
      if (this.joinFails) return { ok: false, condition: "remote-server-not-found" };
      const r = { room, nick, anonymity: "non-anonymous" as const, created: false, occupants: [] };
      this.joined.set(room, r);
      return { ok: true, ...r };
    },
    leave: async (room: string) => void this.joined.delete(room),
    sendGroupchat: async (_room: string, body: string) => void this.said.push(body),
    room: (room: string) => this.joined.get(room),
    onGroupchat: () => () => undefined,
    onExit: () => () => undefined,
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
