/**
 * Recordings as the recording service keeps them: one row per recorded span of a call (a call
 * recorded on demand twice has two), linked to the call's CDR by `callId`.
 */
export type RecordingStatus = "recording" | "saved" | "failed" | "interrupted";

export interface RecordingRecord {
  id: string;
  /** Parley's call id (the CDR's id). */
  callId: string;
  /**
   * The recording's path (`2026/11/23/C….wav`): relative to recording.dir for the working copy
   * and for local storage; with S3 storage the object key is recording.s3_prefix + path.
   */
  path: string;
  /**
   * Where the saved recording is kept, as the store reported it when archiving: `file:///…` or
   * `s3://bucket/key`. Absent while recording, and when archiving failed (the working copy stays).
   */
  location?: string;
  /** The parties: who called whom (URIs or numbers, as in the CDR). */
  caller: string;
  callee: string;
  /** Local users who may see the recording (extension@domain), besides admins. */
  owners: string[];
  /** Why it was recorded: a subscription (`caller`, `callee`) or on demand (`on-demand`), or `emergency`. */
  reason: "caller" | "callee" | "on-demand" | "emergency";
  startedAt: number;
  endedAt?: number;
  durationMs?: number;
  sizeBytes?: number;
  /** SHA-256 of the file, hex. */
  sha256?: string;
  status: RecordingStatus;
  error?: string;
}

export interface RecordingQuery {
  /** Only recordings this user may see (extension@domain). */
  owner?: string;
  /** A party containing this text. */
  party?: string;
  since?: number;
  before?: number;
  limit?: number;
}

/** Where recording metadata lives (SQL in production, memory in tests). */
export interface RecordingStore {
  create(record: RecordingRecord): Promise<void>;
  update(id: string, changes: Partial<Omit<RecordingRecord, "id" | "callId">>): Promise<void>;
  get(id: string): Promise<RecordingRecord | undefined>;
  list(query: RecordingQuery): Promise<RecordingRecord[]>;
  delete(id: string): Promise<boolean>;
  /** Rows still `recording` (a crash left them open). */
  open(): Promise<RecordingRecord[]>;
}

export class MemoryRecordingStore implements RecordingStore {
  readonly #rows = new Map<string, RecordingRecord>();

  async create(record: RecordingRecord): Promise<void> {
    this.#rows.set(record.id, structuredClone(record));
  }

  async update(id: string, changes: Partial<Omit<RecordingRecord, "id" | "callId">>): Promise<void> {
    const row = this.#rows.get(id);
    if (row) this.#rows.set(id, { ...row, ...structuredClone(changes) });
  }

  async get(id: string): Promise<RecordingRecord | undefined> {
    const row = this.#rows.get(id);
    return row && structuredClone(row);
  }

  async list(query: RecordingQuery): Promise<RecordingRecord[]> {
    const party = query.party?.toLowerCase();
    return [...this.#rows.values()]
      .filter((r) => query.owner === undefined || r.owners.includes(query.owner))
      .filter((r) => party === undefined || `${r.caller} ${r.callee}`.toLowerCase().includes(party))
      .filter((r) => query.since === undefined || r.startedAt >= query.since)
      .filter((r) => query.before === undefined || r.startedAt < query.before)
      .sort((a, b) => b.startedAt - a.startedAt || b.id.localeCompare(a.id))
      .slice(0, query.limit ?? 100)
      .map((r) => structuredClone(r));
  }

  async delete(id: string): Promise<boolean> {
    return this.#rows.delete(id);
  }

  async open(): Promise<RecordingRecord[]> {
    return [...this.#rows.values()].filter((r) => r.status === "recording").map((r) => structuredClone(r));
  }
}
