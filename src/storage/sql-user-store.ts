import type { Kysely, Transaction } from "kysely";
import type {
  DigestCredentials,
  NewUserRecord,
  Page,
  StoredUser,
  UserFeatures,
  UserPatch,
  UserStore,
} from "../directory/index.ts";
import { uniqueViolationTable } from "./errors.ts";
import type { Tables, UserRow } from "./tables.ts";

type Outcome<T extends string> = Promise<T | "duplicate-number">;

const FEATURE_COLUMNS = {
  recording: "feature_recording",
  voicemail: "feature_voicemail",
  backgroundCall: "feature_background_call",
  clickToCall: "feature_click_to_call",
} as const satisfies Record<keyof UserFeatures, keyof UserRow>;

/** Users and their phone numbers; each write is one transaction, so a crash never leaves half a user. */
export class SqlUserStore implements UserStore {
  readonly #db: Kysely<Tables>;

  constructor(db: Kysely<Tables>) {
    this.#db = db;
  }

  async create(user: NewUserRecord): Outcome<"created" | "duplicate-extension"> {
    try {
      await this.#db.transaction().execute(async (trx) => {
        await trx
          .insertInto("users")
          .values({
            id: user.id,
            domain_id: user.domainId,
            extension: user.extension,
            display_name: user.displayName,
            ha1_md5: user.credentials.ha1Md5,
            ha1_sha256: user.credentials.ha1Sha256,
            web_password_hash: user.webPasswordHash,
            feature_recording: user.features.recording ? 1 : 0,
            feature_voicemail: user.features.voicemail ? 1 : 0,
            feature_background_call: user.features.backgroundCall ? 1 : 0,
            feature_click_to_call: user.features.clickToCall ? 1 : 0,
            created_at: user.createdAt,
            updated_at: user.createdAt,
          })
          .execute();
        await insertNumbers(trx, user.id, user.phoneNumbers);
      });
      return "created";
    } catch (error) {
      const table = uniqueViolationTable(error);
      if (table === "users") return "duplicate-extension";
      if (table === "phone_numbers") return "duplicate-number";
      throw error;
    }
  }

  async get(id: string): Promise<StoredUser | undefined> {
    const row = await this.#db.selectFrom("users").selectAll().where("id", "=", id).executeTakeFirst();
    return row && (await this.#withNumbers([row]))[0];
  }

  async findByExtension(domainId: string, extension: string): Promise<StoredUser | undefined> {
    const row = await this.#db
      .selectFrom("users")
      .selectAll()
      .where("domain_id", "=", domainId)
      .where("extension", "=", extension)
      .executeTakeFirst();
    return row && (await this.#withNumbers([row]))[0];
  }

  async credentials(domainId: string, extension: string): Promise<DigestCredentials | undefined> {
    const row = await this.#db
      .selectFrom("users")
      .select(["ha1_md5", "ha1_sha256"])
      .where("domain_id", "=", domainId)
      .where("extension", "=", extension)
      .executeTakeFirst();
    return row && { ha1Md5: row.ha1_md5, ha1Sha256: row.ha1_sha256 };
  }

  async findByPhoneNumber(number: string): Promise<StoredUser | undefined> {
    const row = await this.#db
      .selectFrom("users")
      .innerJoin("phone_numbers", "phone_numbers.user_id", "users.id")
      .selectAll("users")
      .where("phone_numbers.number", "=", number)
      .executeTakeFirst();
    return row && (await this.#withNumbers([row]))[0];
  }

  async list(query: Page & { domainId?: string }): Promise<{ users: StoredUser[]; total: number }> {
    let base = this.#db.selectFrom("users");
    if (query.domainId !== undefined) base = base.where("domain_id", "=", query.domainId);
    const rows = await base
      .selectAll()
      .orderBy("extension")
      .orderBy("id")
      .limit(query.limit)
      .offset(query.offset)
      .execute();
    const count = await base
      .select((eb) => eb.fn.countAll<number | string>().as("n"))
      .executeTakeFirstOrThrow();
    return { users: await this.#withNumbers(rows), total: Number(count.n) };
  }

  async update(id: string, patch: UserPatch): Outcome<"updated" | "not-found"> {
    try {
      return await this.#db.transaction().execute(async (trx) => {
        const result = await trx
          .updateTable("users")
          .set({
            updated_at: patch.updatedAt,
            ...(patch.displayName !== undefined && { display_name: patch.displayName }),
            ...(patch.credentials && {
              ha1_md5: patch.credentials.ha1Md5,
              ha1_sha256: patch.credentials.ha1Sha256,
            }),
            ...(patch.webPasswordHash !== undefined && { web_password_hash: patch.webPasswordHash }),
            ...(patch.features && featureColumns(patch.features)),
          })
          .where("id", "=", id)
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) === 0) return "not-found";
        if (patch.phoneNumbers) {
          await trx.deleteFrom("phone_numbers").where("user_id", "=", id).execute();
          await insertNumbers(trx, id, patch.phoneNumbers);
        }
        return "updated";
      });
    } catch (error) {
      if (uniqueViolationTable(error) === "phone_numbers") return "duplicate-number";
      throw error;
    }
  }

  async remove(id: string): Promise<boolean> {
    return this.#db.transaction().execute(async (trx) => {
      await trx.deleteFrom("phone_numbers").where("user_id", "=", id).execute();
      const result = await trx.deleteFrom("users").where("id", "=", id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    });
  }

  async #withNumbers(rows: UserRow[]): Promise<StoredUser[]> {
    if (rows.length === 0) return [];
    const numbers = await this.#db
      .selectFrom("phone_numbers")
      .select(["user_id", "number"])
      .where(
        "user_id",
        "in",
        rows.map((r) => r.id),
      )
      .orderBy("position")
      .execute();
    const byUser = new Map<string, string[]>();
    for (const { user_id, number } of numbers) {
      const list = byUser.get(user_id);
      if (list) list.push(number);
      else byUser.set(user_id, [number]);
    }
    return rows.map((row) => toStoredUser(row, byUser.get(row.id) ?? []));
  }
}

async function insertNumbers(trx: Transaction<Tables>, userId: string, numbers: string[]) {
  if (numbers.length === 0) return;
  await trx
    .insertInto("phone_numbers")
    .values(numbers.map((number, position) => ({ number, user_id: userId, position })))
    .execute();
}

type FeatureColumn = (typeof FEATURE_COLUMNS)[keyof UserFeatures];

function featureColumns(features: Partial<UserFeatures>): Partial<Record<FeatureColumn, number>> {
  const columns: Partial<Record<FeatureColumn, number>> = {};
  for (const [name, column] of Object.entries(FEATURE_COLUMNS) as Array<
    [keyof UserFeatures, FeatureColumn]
  >) {
    const value = features[name];
    if (value !== undefined) columns[column] = value ? 1 : 0;
  }
  return columns;
}

function toStoredUser(row: UserRow, phoneNumbers: string[]): StoredUser {
  return {
    id: row.id,
    domainId: row.domain_id,
    extension: row.extension,
    displayName: row.display_name,
    phoneNumbers,
    features: {
      recording: row.feature_recording === 1,
      voicemail: row.feature_voicemail === 1,
      backgroundCall: row.feature_background_call === 1,
      clickToCall: row.feature_click_to_call === 1,
    },
    hasWebPassword: row.web_password_hash !== null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    credentials: { ha1Md5: row.ha1_md5, ha1Sha256: row.ha1_sha256 },
    webPasswordHash: row.web_password_hash,
  };
}
