export { StorageError, uniqueViolationTable } from "./errors.ts";
export { SqlApiTokenStore } from "./sql-api-token-store.ts";
export { SqlBindingStore } from "./sql-binding-store.ts";
export { SqlCdrStore } from "./sql-cdr-store.ts";
export { SqlDatabase, type SqlDatabaseOptions, type StorageBackend } from "./sql-database.ts";
export { SqlDomainStore } from "./sql-domain-store.ts";
export { SqlRecordingAuditLog } from "./sql-recording-audit-log.ts";
export { SqlRecordingStore, SqlRecordingSubscriptions } from "./sql-recording-store.ts";
export { SqlUserStore } from "./sql-user-store.ts";
