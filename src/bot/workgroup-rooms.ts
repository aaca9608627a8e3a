import { ANONYMOUS_ROOM_REFUSAL, roomCommand } from "../commands/index.js";
import type { Logger } from "../log.js";
import type { Workgroup } from "../policy/index.js";
import type { Muc } from "../xmpp/index.js";
import type { CommandRunner } from "./command-runner.js";

/** The nick AlertBot uses in rooms. */
export const BOT_NICK = "AlertBot";

// A room the bot's join creates must be unlocked, and must show real JIDs so commands can be trusted.
const ROOM_CONFIG = new Map<string, string | boolean>([
  ["muc#roomconfig_whois", "anyone"],
  ["muc#roomconfig_persistentroom", true],
]);

/**
 * Workgroup rooms (XEP-0045): the bot joins each workgroup's room, posts that workgroup's alerts
 * there, and takes commands from occupants whose real JID is a configured person. In a room that
 * hides real JIDs it refuses commands, saying why.
 */
export class WorkgroupRooms {
  private readonly roomOf = new Map<string, string>();

  constructor(
    private readonly muc: Muc,
    private readonly commands: CommandRunner,
    private readonly log: Logger,
    private readonly afterCommand: (command: string) => Promise<void>,
  ) {
    muc.onGroupchat(async (m) => {
      if (m.fromSelf || m.delayed) return;
      const line = roomCommand(m.body, BOT_NICK);
      if (line === null) return;
      if (m.realJid === null) return this.say(m.room, `${m.nick}: ${ANONYMOUS_ROOM_REFUSAL}`);
      const { reply, outcome } = await this.commands.run(m.realJid, line);
      if (reply) await this.say(m.room, `${m.nick}: ${reply}`);
      if (outcome?.ok) await this.afterCommand(outcome.command);
    });
    muc.onExit((exit) => log.warn("left a workgroup room", { room: exit.room, reason: exit.reason, text: exit.text }));
  }

  /** Joins the room of every workgroup that has one (rooms already joined are kept as they are). */
  async join(workgroups: readonly Workgroup[]): Promise<void> {
    for (const w of workgroups) {
      if (!w.room || (this.roomOf.get(w.name) === w.room && this.muc.room(w.room))) continue;
      this.roomOf.set(w.name, w.room);
      const joined = await this.muc.join(w.room, BOT_NICK, { createConfig: ROOM_CONFIG });
      if (!joined.ok) this.log.error("cannot join workgroup room", { room: w.room, condition: joined.condition, text: joined.text });
      else if (joined.anonymity !== "non-anonymous") {
        this.log.warn("workgroup room hides real JIDs: commands there will be refused", { room: w.room });
      }
    }
  }

  /** Posts a line to a workgroup's room, if it has one. */
  async post(workgroup: string, line: () => string): Promise<void> {
    const room = this.roomOf.get(workgroup);
    if (room && this.muc.room(room)) await this.say(room, line());
  }

  private async say(room: string, text: string): Promise<void> {
    await this.muc.sendGroupchat(room, text).catch((err: unknown) => this.log.warn("cannot post to room", { room, err }));
  }
}
