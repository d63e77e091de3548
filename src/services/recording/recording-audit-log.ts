/**
 * Who reached which recording through the API, and with what outcome. Every list, metadata read,
 * download (each range request included) and delete writes one entry, refused ones too, so an
 * admin can answer "who listened to this call".
 */
export type RecordingAuditAction = "list" | "get" | "download" | "delete";
/** `conflict`: a delete refused because the recording is still being written (409). */
export type RecordingAuditOutcome = "allowed" | "forbidden" | "not-found" | "conflict";

export interface RecordingAuditEntry {
  id: string;
  /** When the access happened (ms since the epoch). */
  at: number;
  tokenId: string;
  tokenName: string;
  /** extension@domain of a user token, or "admin". */
  actor: string;
  action: RecordingAuditAction;
  /** The recording, for get, download and delete. */
  recordingId?: string;
  /** The filters of a list, as JSON. */
  filter?: string;
  outcome: RecordingAuditOutcome;
}

export interface RecordingAuditQuery {
  recordingId?: string;
  actor?: string;
  since?: number;
  before?: number;
  limit?: number;
}

/** Where audit entries are kept (SQL in production, memory in tests). Newest first. */
export interface RecordingAuditLog {
  record(entry: RecordingAuditEntry): Promise<void>;
  list(query: RecordingAuditQuery): Promise<RecordingAuditEntry[]>;
}

export class MemoryRecordingAuditLog implements RecordingAuditLog {
  readonly #entries: RecordingAuditEntry[] = [];

  async record(entry: RecordingAuditEntry): Promise<void> {
    this.#entries.push({ ...entry });
  }

  async list(query: RecordingAuditQuery): Promise<RecordingAuditEntry[]> {
    return this.#entries
      .filter((e) => query.recordingId === undefined || e.recordingId === query.recordingId)
      .filter((e) => query.actor === undefined || e.actor === query.actor)
      .filter((e) => query.since === undefined || e.at >= query.since)
      .filter((e) => query.before === undefined || e.at < query.before)
      .sort((a, b) => b.at - a.at || b.id.localeCompare(a.id))
      .slice(0, query.limit ?? 100)
      .map((e) => ({ ...e }));
  }
}
