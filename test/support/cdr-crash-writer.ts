// A child process for the CDR crash test: plays calls into SqlCdrStore, one write per event, as
// fast as it can, printing "ok <call> <event>" after each write is committed, until it is killed.
// Every other call is hung up; the rest stay answered (open) when the next one starts.
// Usage: node --import tsx test/support/cdr-crash-writer.ts <database-url>
import { silentLogger } from "../../src/kernel/log.ts";
import { SqlCdrStore, SqlDatabase } from "../../src/storage/index.ts";
import { callRecord, legRecord, T0 } from "./cdr-store-contract.ts";

const [url] = process.argv.slice(2);
if (!url) throw new Error("usage: cdr-crash-writer.ts <database-url>");
const database = SqlDatabase.open({ url, logger: silentLogger() });
await database.migrate();
const store = new SqlCdrStore(database.db);
process.stdout.write("ready\n");

const ack = (call: string, event: string) => process.stdout.write(`ok ${call} ${event}\n`);

for (let n = 0; ; n++) {
  const id = `C${String(n).padStart(6, "0")}`;
  const at = T0 + n * 100;
  await store.openCall(callRecord(id, at));
  ack(id, "open");
  await store.openLeg(legRecord(`${id}-in`, id, at, { direction: "inbound" }));
  ack(id, "leg-in");
  await store.openLeg(legRecord(`${id}-out`, id, at + 10));
  ack(id, "leg-out");
  await store.updateLeg(`${id}-out`, { ringingAt: at + 20 });
  ack(id, "ringing");
  await store.updateLeg(`${id}-out`, { answeredAt: at + 30, sipStatus: 200 });
  await store.updateLeg(`${id}-in`, { answeredAt: at + 30, sipStatus: 200 });
  await store.updateCall(id, { answeredAt: at + 30, sipStatus: 200 });
  ack(id, "answered");
  if (n % 2 === 1) {
    const end = { endedAt: at + 90, disposition: "answered", cause: "NORMAL_CLEARING" } as const;
    await store.updateLeg(`${id}-out`, end);
    await store.updateLeg(`${id}-in`, end);
    await store.updateCall(id, end);
    ack(id, "ended");
  }
}
