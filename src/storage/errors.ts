import { ParleyError } from "../kernel/parley-error.ts";

export const StorageErrorCodes = {
  STORAGE_UNAVAILABLE: "the database cannot be opened or reached",
  STORAGE_MIGRATION_FAILED: "a schema migration failed",
} as const;

export class StorageError extends ParleyError {
  constructor(code: keyof typeof StorageErrorCodes, detail: string, options?: { cause?: unknown }) {
    super(code, `${StorageErrorCodes[code]}: ${detail}`, options);
  }
}

/**
 * The table a unique-constraint violation happened on, for either backend, or undefined when the
 * error is something else. Stores turn it into the directory's DUPLICATE_* codes.
 */
export function uniqueViolationTable(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const e = error as { code?: string; message?: string; table?: string };
  if (e.code === "23505") return e.table; // PostgreSQL unique_violation
  if (e.code === "SQLITE_CONSTRAINT_UNIQUE" || e.code === "SQLITE_CONSTRAINT_PRIMARYKEY") {
    return /constraint failed: (\w+)\./.exec(e.message ?? "")?.[1];
  }
  return undefined;
}
