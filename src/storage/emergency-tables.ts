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
}
