import type { Logger } from "../../kernel/log.ts";
import type { ConferenceMixer, ConferenceRecorder, MediaEngine } from "../../media/index.ts";
import type { Leg } from "../legs/leg.ts";

interface Member {
  muted: boolean;
  off: () => void;
}

interface Room {
  mixer: ConferenceMixer;
  members: Map<string, Member>;
}

/**
 * The named conferences of a node (FreeSWITCH's conference names): a room is a ConferenceMixer
 * created on first join and closed when its last member leaves. A member leaves when it hangs
 * up. Each member hears everyone else (the mixer subtracts its own voice).
 */
export class ConferenceRooms {
  readonly #engine: MediaEngine;
  readonly #logger: Logger;
  readonly #rooms = new Map<string, Room>();

  constructor(options: { engine: MediaEngine; logger: Logger }) {
    this.#engine = options.engine;
    this.#logger = options.logger;
  }

  size(name: string): number {
    return this.#rooms.get(name)?.members.size ?? 0;
  }

  get names(): string[] {
    return [...this.#rooms.keys()];
  }

  /** The legs in a room and whether each is muted (empty when there is no such room). */
  members(name: string): Array<{ partyId: string; muted: boolean }> {
    return [...(this.#rooms.get(name)?.members ?? new Map<string, Member>())].map(([partyId, m]) => ({
      partyId,
      muted: m.muted,
    }));
  }

  join(name: string, leg: Leg, options: { muted?: boolean } = {}): void {
    const media = leg.media;
    if (!media || leg.ended) throw new Error(`leg ${leg.id} has no media to join ${name} with`);
    let room = this.#rooms.get(name);
    if (!room) {
      room = { mixer: this.#engine.conference(), members: new Map() };
      this.#rooms.set(name, room);
      this.#logger.info({ conference: name }, "conference opened");
    }
    if (room.members.has(leg.id)) return;
    room.mixer.join(leg.id, media);
    if (options.muted) room.mixer.mute(leg.id, true);
    const onHangup = () => this.leave(name, leg);
    leg.on("hungup", onHangup);
    room.members.set(leg.id, { muted: options.muted === true, off: () => leg.off("hungup", onHangup) });
    leg.logger.info({ conference: name, members: room.members.size }, "joined conference");
  }

  leave(name: string, leg: Leg): void {
    const room = this.#rooms.get(name);
    const member = room?.members.get(leg.id);
    if (!room || !member) return;
    member.off();
    room.members.delete(leg.id);
    room.mixer.leave(leg.id);
    if (room.members.size === 0) {
      room.mixer.close();
      this.#rooms.delete(name);
      this.#logger.info({ conference: name }, "conference closed");
    }
  }

  /**
   * Records `leg` in room `name` (what it says left, what the room sends it right) while it is
   * there; undefined when there is no such room.
   */
  record(name: string, leg: Leg, path: string): ConferenceRecorder | undefined {
    const room = this.#rooms.get(name);
    return room && this.#engine.recordConference(room.mixer, leg.id, path);
  }

  /** Takes a leg out of every room it is in (it is being preempted or moved). */
  leaveAll(leg: Leg): void {
    for (const [name, room] of [...this.#rooms]) if (room.members.has(leg.id)) this.leave(name, leg);
  }

  mute(name: string, leg: Leg, muted: boolean): void {
    const room = this.#rooms.get(name);
    const member = room?.members.get(leg.id);
    if (!room || !member) return;
    member.muted = muted;
    room.mixer.mute(leg.id, muted);
  }
}
