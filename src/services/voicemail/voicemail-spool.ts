import { randomUUID } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "../../kernel/log.ts";
import type { MessageDelivery, OutgoingVoiceMessage } from "./message-delivery.ts";

/** What the spool keeps beside a recording, so a crash mid-message loses nothing. */
type SpooledMessage = Omit<OutgoingVoiceMessage, "audio" | "durationSeconds" | "date"> & { date: string };

/** Bytes per second of the spool's WAVs (8 kHz, 16-bit, mono). */
const BYTES_PER_SECOND = 16_000;

/**
 * Messages being recorded: `<id>.wav` grows while the caller speaks (its header valid at every
 * flush) and `<id>.json` says who it is for. After the call the message is sent and both files go.
 * When Parley stops mid-message (a crash, kill -9), `recover()` at the next start sends every
 * message left in the spool, as long as the recording holds audio.
 */
export class VoicemailSpool {
  readonly #dir: string;
  readonly #delivery: MessageDelivery;
  readonly #logger: Logger;

  constructor(options: { dir: string; delivery: MessageDelivery; logger: Logger }) {
    this.#dir = options.dir;
    this.#delivery = options.delivery;
    this.#logger = options.logger;
    mkdirSync(this.#dir, { recursive: true });
  }

  /** Opens a spool entry: returns where to record and the function that sends the result. */
  open(message: Omit<OutgoingVoiceMessage, "audio" | "durationSeconds">): { id: string; path: string } {
    const id = randomUUID();
    const entry: SpooledMessage = { ...message, date: message.date.toISOString() };
    writeFileSync(join(this.#dir, `${id}.json`), JSON.stringify(entry));
    return { id, path: join(this.#dir, `${id}.wav`) };
  }

  /** Sends a finished entry (trimming `trimMs` of trailing silence), unless it is shorter than `minMs`. */
  async finish(id: string, options: { minMs: number; trimMs?: number }): Promise<"sent" | "too-short"> {
    try {
      const entry = JSON.parse(readFileSync(join(this.#dir, `${id}.json`), "utf8")) as SpooledMessage;
      const audio = trimWav(readFileSync(join(this.#dir, `${id}.wav`)), options.trimMs ?? 0);
      const durationMs = Math.round((pcmBytes(audio) / BYTES_PER_SECOND) * 1000);
      if (durationMs < options.minMs) return "too-short";
      await this.#delivery.send({
        ...entry,
        date: new Date(entry.date),
        audio,
        durationSeconds: Math.max(1, Math.round(durationMs / 1000)),
      });
      return "sent";
    } finally {
      this.discard(id);
    }
  }

  discard(id: string): void {
    rmSync(join(this.#dir, `${id}.json`), { force: true });
    rmSync(join(this.#dir, `${id}.wav`), { force: true });
  }

  /** Sends what a stopped process left behind; returns how many messages were recovered. */
  async recover(minMs: number): Promise<number> {
    let recovered = 0;
    for (const name of readdirSync(this.#dir)) {
      if (!name.endsWith(".json")) continue;
      const id = name.slice(0, -".json".length);
      try {
        if ((await this.finish(id, { minMs })) === "sent") recovered += 1;
      } catch (error) {
        this.#logger.error({ err: error, id }, "could not recover a spooled voice message");
      }
    }
    if (recovered > 0) this.#logger.info({ recovered }, "voice messages recovered from the spool");
    return recovered;
  }
}

/** Offset and length of a WAV's data chunk (RIFF walk; a crashed writer's header may undercount). */
function dataChunk(wav: Buffer): { offset: number; length: number } {
  let at = 12;
  while (at + 8 <= wav.length) {
    const id = wav.toString("ascii", at, at + 4);
    const size = wav.readUInt32LE(at + 4);
    if (id === "data") return { offset: at + 8, length: Math.min(size, wav.length - at - 8) };
    at += 8 + size + (size % 2);
  }
  return { offset: wav.length, length: 0 };
}

function pcmBytes(wav: Buffer): number {
  return dataChunk(wav).length;
}

/** The WAV with every whole sample in the file (a crash can leave samples after the last header rewrite) less `trimMs` at the end. */
export function trimWav(wav: Buffer, trimMs: number): Buffer {
  if (wav.length < 44 || wav.toString("ascii", 0, 4) !== "RIFF") return wav;
  const { offset } = dataChunk(wav);
  const available = wav.length - offset;
  const keep = Math.max(0, available - Math.round((trimMs / 1000) * BYTES_PER_SECOND)) & ~1;
  const out = Buffer.from(wav.subarray(0, offset + keep));
  out.writeUInt32LE(out.length - 8, 4);
  out.writeUInt32LE(keep, offset - 4);
  return out;
}
