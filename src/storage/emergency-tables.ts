/** Row types of the emergency service's tables (migration 0013). Times are ISO 8601 text. */
export interface EmergencyNumberRow {
  number: string;
  label: string;
  /** JSON array of extension or extension@domain, in order. */
  users: string;
  priority: number;
  record: number;
  announcement: number;
  ring_timeout: number;
  retries: number;
  resource_priority: string;
  updated_at: string;
}

export interface EmergencyAuditRow {
  id: string;
  at: string;
  call_id: string;
  number: string;
  event: string;
  party: string | null;
  detail: string | null;
}

export interface EmergencyTables {
  emergency_numbers: EmergencyNumberRow;
  emergency_audit: EmergencyAuditRow;
  ringback_tones: RingbackToneRow;
}

/** A user's ring-back tone (migration 0015), kept here with the other late tables. */
export interface RingbackToneRow {
  user_key: string;
  sha256: string;
  wav: Uint8Array;
  updated_at: string;
}
