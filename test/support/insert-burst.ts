// A child process for the crash-consistency test: inserts users (each with two phone numbers, one
// transaction per user) as fast as it can and prints "ok <extension>" after each commit, until
// it is killed. Usage: node --import tsx test/support/insert-burst.ts <database-url> <parallel>
import { openFixture } from "./directory-fixture.ts";

const [url, parallelText = "1"] = process.argv.slice(2);
if (!url) throw new Error("usage: insert-burst.ts <database-url> [parallel]");
const fixture = await openFixture(url);
process.stdout.write("ready\n");
let next = 0;

async function worker() {
  for (;;) {
    const n = next++;
    const extension = `burst${n}`;
    const base = 10_000_000 + n * 2;
    await fixture.directory.addUser({
      extension,
      password: "burst-password",
      phoneNumbers: [`+1555${base}`, `+1555${base + 1}`],
    });
    process.stdout.write(`ok ${extension}\n`);
  }
}

await Promise.all(Array.from({ length: Number(parallelText) }, worker));
