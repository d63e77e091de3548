/** Row types of the web portal's tables (migration 0010). Times are BIGINT epoch ms (a string from pg). */
export interface PortalSessionRow {
  /** SHA-256 of the session id, hex: the id itself is never stored. */
  id_hash: string;
  /** extension@domain, or null for the anonymous session that carries the login form. */
  user_key: string | null;
  csrf_token: string;
  created_at: number | string;
  last_seen_at: number | string;
}

export interface PortalTables {
  portal_sessions: PortalSessionRow;
}
