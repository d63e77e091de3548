import type { Kysely } from "kysely";
import type { EmergencyNumber, EmergencyNumberStore } from "../services/emergency/index.ts";
import type { EmergencyNumberRow } from "./emergency-tables.ts";
import type { Tables } from "./tables.ts";

/** Admin-managed emergency numbers in SQL (SQLite or PostgreSQL). */
export class SqlEmergencyNumberStore implements EmergencyNumberStore {
  readonly #db: Kysely<Tables>;
  readonly #now: () => number;

  constructor(db: Kysely<Tables>, now: () => number) {
    this.#db = db;
    this.#now = now;
  }

  async list(): Promise<EmergencyNumber[]> {
    const rows = await this.#db.selectFrom("emergency_numbers").selectAll().orderBy("number").execute();
    return rows.map(toNumber);
  }

  async get(number: string): Promise<EmergencyNumber | undefined> {
    const row = await this.#db
      .selectFrom("emergency_numbers")
      .selectAll()
      .where("number", "=", number)
      .executeTakeFirst();
    return row && toNumber(row);
  }

  async save(entry: EmergencyNumber): Promise<void> {
    const row: EmergencyNumberRow = {
      number: entry.number,
      label: entry.label,
      users: JSON.stringify(entry.users),
      priority: entry.priority,
      record: entry.record ? 1 : 0,
      announcement: entry.announcement ? 1 : 0,
      ring_timeout: entry.ringTimeout,
      retries: entry.retries,
      resource_priority: entry.resourcePriority,
      updated_at: new Date(this.#now()).toISOString(),
    };
    const { number: _key, ...changes } = row;
    await this.#db
      .insertInto("emergency_numbers")
      .values(row)
      .onConflict((c) => c.column("number").doUpdateSet(changes))
      .execute();
  }

  async remove(number: string): Promise<boolean> {
    const result = await this.#db
      .deleteFrom("emergency_numbers")
      .where("number", "=", number)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}

function toNumber(row: EmergencyNumberRow): EmergencyNumber {
  return {
    number: row.number,
    label: row.label,
    users: JSON.parse(row.users) as string[],
    priority: Number(row.priority),
    record: Number(row.record) === 1,
    announcement: Number(row.announcement) === 1,
    ringTimeout: Number(row.ring_timeout),
    retries: Number(row.retries),
    resourcePriority: row.resource_priority,
    source: "admin",
  };
}
