import type { Kysely } from "kysely";
import type { Domain, DomainStore } from "../directory/index.ts";
import { uniqueViolationTable } from "./errors.ts";
import type { DomainRow, Tables } from "./tables.ts";

export class SqlDomainStore implements DomainStore {
  readonly #db: Kysely<Tables>;

  constructor(db: Kysely<Tables>) {
    this.#db = db;
  }

  async create(domain: Domain): Promise<"created" | "duplicate"> {
    try {
      await this.#db
        .insertInto("domains")
        .values({ id: domain.id, name: domain.name, created_at: domain.createdAt })
        .execute();
      return "created";
    } catch (error) {
      if (uniqueViolationTable(error) === "domains") return "duplicate";
      throw error;
    }
  }

  async get(id: string): Promise<Domain | undefined> {
    const row = await this.#db.selectFrom("domains").selectAll().where("id", "=", id).executeTakeFirst();
    return row && toDomain(row);
  }

  async findByName(name: string): Promise<Domain | undefined> {
    const row = await this.#db.selectFrom("domains").selectAll().where("name", "=", name).executeTakeFirst();
    return row && toDomain(row);
  }

  async list(): Promise<Domain[]> {
    const rows = await this.#db.selectFrom("domains").selectAll().orderBy("name").execute();
    return rows.map(toDomain);
  }
}

function toDomain(row: DomainRow): Domain {
  return { id: row.id, name: row.name, createdAt: row.created_at };
}
