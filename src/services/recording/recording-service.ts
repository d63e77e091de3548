import { createHash } from "node:crypto";
import { createReadStream, existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import {
  type CallParty,
  type CallRecording,
  type CallSession,
  type ConnectedCallInfo,
  type ConnectedParties,
  defineService,
  type PartyIdentity,
  type CallPlayItem as PlayItem,
  type ServiceModule,
} from "../../calls/index.ts";
import type { Clock } from "../../kernel/clock.ts";
import { newId } from "../../kernel/ids.ts";
import type { Logger } from "../../kernel/log.ts";
import { TypedEmitter } from "../../kernel/typed-emitter.ts";
import type { RecordingFiles } from "./recording-files.ts";
import type { RecordingRecord, RecordingStore } from "./recording-store.ts";
import { DEFAULT_SUBSCRIPTION, type RecordingSubscriptions } from "./recording-subscriptions.ts";
import type { RingbackToneStore } from "./ringback-tone-store.ts";

/** A recording's life ended: saved (with its size, length and checksum) or failed. */
export interface RecordingEvent {
  type: "saved" | "failed";
  recording: RecordingRecord;
}

export interface RecordingServiceOptions {
  store: RecordingStore;
  subscriptions: RecordingSubscriptions;
  /**
   * Where WAV files are written while calls are recorded (recording.dir, by default
   * <data_dir>/recordings), laid out by date: the working copies.
   */
  directory: string;
  /** Where saved recordings are kept (recording.storage): each working copy is archived there. */
  files: RecordingFiles;
  clock: Clock;
  logger: Logger;
  /** recording.announcement: every recorded call starts with the announcement, subscription or not. */
  announceAll: boolean;
  /** Dialled numbers whose calls are always recorded (emergency numbers), subscription or not. */
  forcedNumbers?: readonly string[];
  /** Told about every recording that ends (webhooks, the SSE feed). */
  onEvent?: (event: RecordingEvent) => void;
  /** Where personal ring-back tones are (`<extension>@<domain>.wav`, 8 kHz mono 16-bit). */
  ringbackDir?: string;
  /** In a cluster: users' ring-back tones in the database, set through any node. */
  sharedRingback?: RingbackToneStore;
  /**
   * What a pause does in a tenant's recordings (recording.pause_mode, per domain): `silence`
   * keeps the call's timeline with silence, `skip` leaves the span out.
   */
  pauseMode?: (domain: string | undefined) => "silence" | "skip";
}

interface Active {
  record: RecordingRecord;
  /** The row's insert; finishing waits for it, so a short call's update never comes first. */
  created: Promise<void>;
  stop: () => void;
  frames: () => number;
  pause: () => void;
  resume: () => void;
  paused: boolean;
}

interface Decision {
  reason: "caller" | "callee" | "emergency";
  announce: boolean;
}

/**
 * Service 1 of SERVICES.md, recording: a call is recorded automatically from the moment its
 * parties are connected to its end when the caller's subscription covers calls they make or the
 * callee's covers calls they receive; both may first hear "this call is being recorded". Anyone
 * can start and stop a recording during a call with a feature code (`*1`), with a beep to both.
 * Files are stereo WAV (caller left, callee right), valid on disk while they grow; metadata goes
 * to the RecordingStore, linked to the CDR by the call id.
 */
export interface RecordingServiceEvents extends Record<string, unknown[]> {
  /** A recording ended: saved or failed (the same events the webhook gets). */
  event: [RecordingEvent];
}

export class RecordingService extends TypedEmitter<RecordingServiceEvents> {
  readonly #o: RecordingServiceOptions;
  /** Calls whose parties are connected, by call id: what `*1` records. */
  readonly #connected = new Map<
    string,
    { session: CallSession; parties: ConnectedParties; info: ConnectedCallInfo }
  >();
  readonly #active = new Map<string, Active>();
  readonly #decisions = new Map<string, Decision | undefined>();
  /** Recordings being completed (described, archived, their rows written). */
  readonly #finishing = new Set<Promise<void>>();
  readonly module: ServiceModule;

  constructor(options: RecordingServiceOptions) {
    super();
    this.#o = options;
    this.module = defineService({
      name: "recording",
      routed: async (session, info) => {
        this.#decisions.set(session.id, await this.#decide(info));
      },
      ringback: (info) => this.#ringback(info),
      beforeBridge: (session, parties, info) => this.#beforeBridge(session, parties, info),
      bridged: (session, parties, info) => this.#bridged(session, parties, info),
      conferenced: (session, room, info) => this.#conferenced(session, room, info),
      featureCodes: [
        { name: "record-toggle", code: "*1", run: (session, party) => this.#toggle(session, party) },
      ],
    });
  }

  /**
   * Completes the rows of recordings that were in progress when the process died: the file holds
   * everything up to the last header flush (the Recorder rewrites the WAV header every second),
   * so its length and checksum are read from it, it is archived like a saved recording, and the
   * row is closed as `interrupted`. A working copy already gone was archived just before the
   * crash: the stored recording is described instead.
   */
  async recoverInterrupted(): Promise<number> {
    const open = await this.#o.store.open();
    for (const record of open) {
      const file = join(this.#o.directory, record.path);
      try {
        const description = existsSync(file)
          ? await describeWav(createReadStream(file))
          : await this.#describeStored(record.path);
        const location = await this.#archive(record, file);
        const { sizeBytes, sha256, durationMs } = description;
        await this.#o.store.update(record.id, {
          status: "interrupted",
          sizeBytes,
          sha256,
          durationMs,
          endedAt: record.startedAt + durationMs,
          ...(location !== undefined && { location }),
        });
      } catch (error) {
        await this.#o.store.update(record.id, {
          status: "failed",
          error: `interrupted: ${(error as Error).message}`,
        });
      }
    }
    if (open.length > 0)
      this.#o.logger.warn({ recordings: open.length }, "recordings of interrupted calls completed");
    return open.length;
  }

  async #describeStored(path: string): Promise<WavDescription> {
    const opened = await this.#o.files.open(path);
    if (!opened) throw new Error(`no file at ${path}, in the working directory or the store`);
    return describeWav(opened.stream);
  }

  /**
   * Waits until every recording that has ended is complete: its file archived and its row
   * written. The node calls it on the way down, before the database closes.
   */
  async drain(): Promise<void> {
    while (this.#finishing.size > 0) await Promise.allSettled([...this.#finishing]);
  }

  #announce(event: RecordingEvent): void {
    this.#o.onEvent?.(event);
    this.safeEmit("event", event);
  }

  /** Starts recording a connected call on request (the API); false when the call is not connected here. */
  async start(callId: string): Promise<boolean> {
    const connected = this.#connected.get(callId);
    if (!connected) return false;
    await this.#start(connected.session, pairRecording(connected), connected.info, "on-demand");
    return this.#active.has(callId);
  }

  /** Stops a call's recording on request; false when there was none. */
  stop(callId: string): boolean {
    if (!this.#active.has(callId)) return false;
    this.#finish(callId);
    return true;
  }

  /** Pauses the recording of a call (API, or `*2`); false when the call has none. */
  pause(callId: string): boolean {
    return this.#setPaused(callId, true);
  }

  resume(callId: string): boolean {
    return this.#setPaused(callId, false);
  }

  /** Whether a call is being recorded now, and whether that recording is paused. */
  status(callId: string): { recording: boolean; paused: boolean; id?: string } {
    const active = this.#active.get(callId);
    return active
      ? { recording: true, paused: active.paused, id: active.record.id }
      : { recording: false, paused: false };
  }

  #setPaused(callId: string, paused: boolean): boolean {
    const active = this.#active.get(callId);
    if (!active) return false;
    if (active.paused !== paused) {
      active.paused = paused;
      if (paused) active.pause();
      else active.resume();
      this.#o.logger.info(
        { callId, recording: active.record.id, paused },
        paused ? "recording paused" : "recording resumed",
      );
    }
    return true;
  }

  /** The metadata store (read side for the API and tests). */
  get store(): RecordingStore {
    return this.#o.store;
  }

  /** Recordings in progress now. */
  get active(): number {
    return this.#active.size;
  }

  /** Which subscription, if any, makes this call recorded (RFC-free: the service's own rule). */
  async #decide(info: ConnectedCallInfo): Promise<Decision | undefined> {
    // Emergency numbers are recorded whoever calls, without an announcement: those listed in
    // recording.force_for_numbers, and calls a service marks (an emergency number set to record).
    if (info.forceRecording || this.#o.forcedNumbers?.includes(info.dialled))
      return { reason: "emergency", announce: false };
    const check = async (party: PartyIdentity | undefined, direction: "outgoing" | "incoming") => {
      if (!party?.features.recording) return undefined;
      const subscription =
        (await this.#o.subscriptions.get(`${party.extension}@${party.domain}`)) ?? DEFAULT_SUBSCRIPTION;
      if (subscription.policy !== "both" && subscription.policy !== direction) return undefined;
      return subscription;
    };
    const byCaller = await check(info.caller, "outgoing");
    if (byCaller) return { reason: "caller", announce: byCaller.announce || this.#o.announceAll };
    const byCallee = await check(info.callee, "incoming");
    if (byCallee) return { reason: "callee", announce: byCallee.announce || this.#o.announceAll };
    return undefined;
  }

  /**
   * The ring-back-tone platform: a callee who uploaded a personal tone has callers hear it, as
   * early media, instead of the standard ring-back while their phones ring.
   */
  async #ringback(info: ConnectedCallInfo): Promise<PlayItem[] | undefined> {
    const dir = this.#o.ringbackDir;
    if (!dir || !info.callee) return undefined;
    const user = `${info.callee.extension}@${info.callee.domain}`;
    const shared = this.#o.sharedRingback;
    if (!shared) {
      const path = ringbackPath(dir, user);
      return existsSync(path) ? [{ kind: "file", path }] : undefined;
    }
    // In a cluster the tone may have been set through another node: play this node's copy of
    // the current version, fetched from the database the first time.
    const version = await shared.version(user);
    if (!version) return undefined;
    const copy = (sha256: string) => join(dir, "shared", `${sha256}.wav`);
    if (existsSync(copy(version))) return [{ kind: "file", path: copy(version) }];
    // The tone may have changed since `version` was read: the copy is named after what was fetched.
    const tone = await shared.get(user);
    if (!tone) return undefined;
    const path = copy(tone.sha256);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(`${path}.tmp`, tone.wav);
    renameSync(`${path}.tmp`, path);
    return [{ kind: "file", path }];
  }

  async #beforeBridge(
    session: CallSession,
    parties: ConnectedParties,
    info: ConnectedCallInfo,
  ): Promise<void> {
    const decision = this.#decisions.has(session.id)
      ? this.#decisions.get(session.id)
      : await this.#decide(info);
    this.#decisions.set(session.id, decision);
    if (!decision?.announce) return;
    const announcement = [{ kind: "prompt" as const, name: "recording-on" }];
    await Promise.all([
      session.play(parties.caller, announcement),
      session.play(parties.callee, announcement),
    ]);
  }

  async #bridged(session: CallSession, parties: ConnectedParties, info: ConnectedCallInfo): Promise<void> {
    this.#connected.set(session.id, { session, parties, info });
    this.#finishWithCall(session);
    const decision = this.#decisions.has(session.id)
      ? this.#decisions.get(session.id)
      : await this.#decide(info);
    if (decision) await this.#start(session, pairRecording({ session, parties }), info, decision.reason);
  }

  /**
   * A party a service put in a conference room (an emergency group's caller): recorded when the
   * call must be, as a stereo file of what that party says and what the room sends it.
   */
  async #conferenced(
    session: CallSession,
    room: { name: string; party: CallParty },
    info: ConnectedCallInfo,
  ): Promise<void> {
    this.#finishWithCall(session);
    const decision = await this.#decide(info);
    if (decision)
      await this.#start(
        session,
        (file) => session.recordConference(room.party, room.name, file),
        info,
        decision.reason,
      );
  }

  /** The call's recording ends with the call. */
  #finishWithCall(session: CallSession): void {
    const onEnded = () => {
      this.#connected.delete(session.id);
      this.#decisions.delete(session.id);
      this.#finish(session.id);
      session.off("ended", onEnded);
    };
    session.on("ended", onEnded);
  }

  async #toggle(session: CallSession, _party: CallParty): Promise<void> {
    const connected = this.#connected.get(session.id);
    if (!connected) return;
    const beep = [{ kind: "tone" as const, tone: "beep" as const }];
    if (this.#active.has(session.id)) {
      this.#finish(session.id);
    } else {
      await this.#start(session, pairRecording(connected), connected.info, "on-demand");
    }
    void session.play(connected.parties.caller, beep);
    void session.play(connected.parties.callee, beep);
  }

  async #start(
    session: CallSession,
    open: (file: string) => CallRecording,
    info: ConnectedCallInfo,
    reason: RecordingRecord["reason"],
  ): Promise<void> {
    if (this.#active.has(session.id)) return;
    const startedAt = this.#o.clock.now();
    const day = new Date(startedAt).toISOString().slice(0, 10).replaceAll("-", "/");
    const id = newId();
    const path = `${day}/${session.id}-${id.slice(0, 8)}.wav`;
    const file = join(this.#o.directory, path);
    const name = (p: PartyIdentity | undefined) => (p ? `${p.extension}@${p.domain}` : undefined);
    const record: RecordingRecord = {
      id,
      callId: session.id,
      path,
      caller: name(info.caller) ?? (info.trunk ? `trunk:${info.trunk}` : "unknown"),
      callee: name(info.callee) ?? info.dialled,
      owners: [name(info.caller), name(info.callee)].filter((o): o is string => o !== undefined),
      reason,
      startedAt,
      status: "recording",
    };
    try {
      // The recorder starts at once, so the file covers the whole connection; the row follows.
      mkdirSync(dirname(file), { recursive: true });
      const recorder = open(file);
      const domain = info.callee?.domain ?? info.caller?.domain;
      const silence = (this.#o.pauseMode?.(domain) ?? "silence") === "silence";
      const created = this.#o.store.create(record);
      // A failed insert surfaces when the recording finishes (and the event says "failed").
      created.catch(() => {});
      this.#active.set(session.id, {
        record,
        created,
        stop: () => recorder.close(),
        frames: () => recorder.framesWritten,
        pause: () => recorder.pause({ silence }),
        resume: () => recorder.resume(),
        paused: false,
      });
      this.#o.logger.info({ callId: session.id, recording: id, path, reason }, "recording started");
    } catch (error) {
      this.#o.logger.error({ err: error, callId: session.id }, "recording could not start");
      await this.#fail(record, error);
    }
  }

  /** Stops a call's recording and completes its row: size, length, checksum, status. */
  #finish(callId: string): void {
    const active = this.#active.get(callId);
    if (!active) return;
    this.#active.delete(callId);
    active.stop();
    const record = active.record;
    const endedAt = this.#o.clock.now();
    const file = join(this.#o.directory, record.path);
    const finishing = (async () => {
      try {
        await active.created;
        const { sizeBytes, sha256 } = await describeWav(createReadStream(file));
        const location = await this.#archive(record, file);
        const saved: RecordingRecord = {
          ...record,
          endedAt,
          durationMs: active.frames() * 20,
          sizeBytes,
          sha256,
          status: "saved",
          ...(location !== undefined && { location }),
        };
        const { id: _id, callId: _callId, ...changes } = saved;
        await this.#o.store.update(record.id, changes);
        this.#o.logger.info(
          { callId, recording: record.id, durationMs: saved.durationMs, sizeBytes, location },
          "recording saved",
        );
        this.#announce({ type: "saved", recording: saved });
      } catch (error) {
        await this.#fail(record, error);
      }
    })();
    this.#finishing.add(finishing);
    void finishing.finally(() => this.#finishing.delete(finishing));
  }

  /**
   * Archives a saved recording in the store. When that fails the recording is still saved: its
   * working copy stays on the local disk, where it is read from, and the row has no location.
   */
  async #archive(record: RecordingRecord, file: string): Promise<string | undefined> {
    try {
      return (await this.#o.files.archive(record.path, file)).location;
    } catch (error) {
      this.#o.logger.error(
        { err: error, callId: record.callId, recording: record.id, path: record.path },
        "recording could not be archived; it stays in the recordings directory",
      );
      return undefined;
    }
  }

  async #fail(record: RecordingRecord, error: unknown): Promise<void> {
    const failed: RecordingRecord = {
      ...record,
      status: "failed",
      error: String((error as Error)?.message ?? error),
    };
    await this.#o.store
      .update(record.id, { status: "failed", ...(failed.error ? { error: failed.error } : {}) })
      .catch(() => {});
    this.#announce({ type: "failed", recording: failed });
  }
}

/** Records a bridged call: the caller left, the callee right. */
function pairRecording(connected: { session: CallSession; parties: ConnectedParties }) {
  return (file: string): CallRecording =>
    connected.session.record(connected.parties.caller, connected.parties.callee, file);
}

interface WavDescription {
  sizeBytes: number;
  sha256: string;
  durationMs: number;
}

/**
 * Size, SHA-256 and audio length of a recording's bytes (a file, or an object from the store):
 * the length comes from the data chunk size in the header (stereo 16-bit 8 kHz: 32 bytes per
 * millisecond), which the Recorder keeps current.
 */
async function describeWav(bytes: AsyncIterable<unknown>): Promise<WavDescription> {
  const hash = createHash("sha256");
  let sizeBytes = 0;
  let header = Buffer.alloc(0);
  for await (const chunk of bytes) {
    const buffer = chunk as Buffer;
    if (header.length < 44) header = Buffer.concat([header, buffer.subarray(0, 44 - header.length)]);
    hash.update(buffer);
    sizeBytes += buffer.length;
  }
  const dataBytes = header.length >= 44 ? header.readUInt32LE(40) : 0;
  const bytesPerMs = header.length >= 44 ? header.readUInt32LE(28) / 1000 : 32;
  return { sizeBytes, sha256: hash.digest("hex"), durationMs: Math.round(dataBytes / bytesPerMs) };
}

/** Where a user's personal ring-back tone lives. */
export function ringbackPath(dir: string, user: string): string {
  return join(dir, `${user}.wav`);
}
