import type { Kysely } from "kysely";
import type { Binding, BindingChange, BindingStore } from "../registrar/index.ts";
import type { RegistrationRow, Tables } from "./tables.ts";

const iso = (ms: number) => new Date(ms).toISOString();

/** Registration bindings in SQL: the registrar writes through on every change and reads them back at start. */
export class SqlBindingStore implements BindingStore {
  readonly #db: Kysely<Tables>;

  constructor(db: Kysely<Tables>) {
    this.#db = db;
  }

  async load(now: number): Promise<Binding[]> {
    const rows = await this.#db
      .selectFrom("registrations")
      .selectAll()
      .where("expires_at", ">", iso(now))
      .execute();
    return rows.map(toBinding);
  }

  async apply(changes: readonly BindingChange[]): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      const store = new SqlBindingStore(trx);
      for (const change of changes) {
        if (change.kind === "save") await store.save(change.binding);
        else await store.delete(change.aor, change.contact);
      }
    });
  }

  async save(b: Binding): Promise<void> {
    const row: RegistrationRow = {
      aor: b.aor,
      contact: b.contact,
      q: b.q,
      expires_at: iso(b.expiresAt),
      call_id: b.callId,
      cseq: b.cseq,
      source_protocol: b.source.protocol,
      source_address: b.source.address,
      source_port: b.source.port,
      flow_id: b.source.flowId ?? null,
      path: JSON.stringify(b.path),
      user_agent: b.userAgent ?? null,
      instance_id: b.instanceId ?? null,
      registered_at: iso(b.registeredAt),
    };
    const { aor: _aor, contact: _contact, ...update } = row;
    await this.#db
      .insertInto("registrations")
      .values(row)
      .onConflict((oc) => oc.columns(["aor", "contact"]).doUpdateSet(update))
      .execute();
  }

  async delete(aor: string, contact: string): Promise<void> {
    await this.#db
      .deleteFrom("registrations")
      .where("aor", "=", aor)
      .where("contact", "=", contact)
      .execute();
  }
}

function toBinding(row: RegistrationRow): Binding {
  return {
    aor: row.aor,
    contact: row.contact,
    q: Number(row.q),
    expiresAt: Date.parse(row.expires_at),
    callId: row.call_id,
    cseq: Number(row.cseq),
    source: {
      protocol: row.source_protocol,
      address: row.source_address,
      port: Number(row.source_port),
      ...(row.flow_id ? { flowId: row.flow_id } : {}),
    },
    path: JSON.parse(row.path) as string[],
    ...(row.user_agent ? { userAgent: row.user_agent } : {}),
    ...(row.instance_id ? { instanceId: row.instance_id } : {}),
    registeredAt: Date.parse(row.registered_at),
  };
}
