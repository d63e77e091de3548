import type { Kysely } from "kysely";
import type { Merchant, MerchantQuery, MerchantStore } from "../services/click-to-call/index.ts";
import type { Tables } from "./tables.ts";

/** The merchant directory in SQL: the merchant as JSON, with the columns searches need. */
export class SqlMerchantStore implements MerchantStore {
  readonly #db: Kysely<Tables>;

  constructor(db: Kysely<Tables>) {
    this.#db = db;
  }

  async list(query: MerchantQuery): Promise<{ merchants: Merchant[]; total: number }> {
    let select = this.#db.selectFrom("merchants").select("merchant");
    if (!query.all) select = select.where("active", "=", 1);
    if (query.category !== undefined) select = select.where("category", "=", query.category);
    const rows = await select.orderBy("name").orderBy("id").execute();
    let found = rows.map((row) => JSON.parse(row.merchant) as Merchant);
    if (query.search) {
      const needle = query.search.toLowerCase();
      found = found.filter((m) =>
        [m.name, m.description, m.category].some((t) => t.toLowerCase().includes(needle)),
      );
    }
    const offset = query.offset ?? 0;
    return { merchants: found.slice(offset, offset + (query.limit ?? 100)), total: found.length };
  }

  async get(id: string): Promise<Merchant | undefined> {
    const row = await this.#db
      .selectFrom("merchants")
      .select("merchant")
      .where("id", "=", id)
      .executeTakeFirst();
    return row ? (JSON.parse(row.merchant) as Merchant) : undefined;
  }

  async save(merchant: Merchant): Promise<void> {
    const values = {
      name: merchant.name,
      category: merchant.category,
      active: merchant.active ? 1 : 0,
      merchant: JSON.stringify(merchant),
    };
    await this.#db
      .insertInto("merchants")
      .values({ id: merchant.id, ...values })
      .onConflict((oc) => oc.column("id").doUpdateSet(values))
      .execute();
  }

  async remove(id: string): Promise<boolean> {
    const result = await this.#db.deleteFrom("merchants").where("id", "=", id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async categories(): Promise<string[]> {
    const rows = await this.#db
      .selectFrom("merchants")
      .select("category")
      .distinct()
      .where("active", "=", 1)
      .orderBy("category")
      .execute();
    return rows.map((row) => row.category);
  }

  /**
   * A scan of the active merchants (the key lives inside the JSON, so no migration); the directory
   * is small and the widget's calls are rate-limited, so this stays cheap.
   */
  async byWidgetKey(key: string): Promise<Merchant | undefined> {
    if (key === "") return undefined;
    const rows = await this.#db.selectFrom("merchants").select("merchant").where("active", "=", 1).execute();
    return rows.map((row) => JSON.parse(row.merchant) as Merchant).find((m) => m.widgetKey === key);
  }
}
