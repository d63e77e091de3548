#!/usr/bin/env node
// Writes the subscriber database for the Kamailio reference registrar and the matching SIPp
// injection file, for user0000..user{N-1} with password "pw-<user>".
//
//   node bench/register/make-users.mjs --out DIR [--count 10000] [--domain parley.test]
//
// DIR/users.csv          SIPp -inf file: "SEQUENTIAL" then one "user;password;domain" line per user
// DIR/db_text/subscriber Kamailio db_text table (plus DIR/db_text/version)
// DIR/users.sqlite       Kamailio db_sqlite database (tables version + subscriber), if better-sqlite3 loads
//
// Also importable: `makeUsers({ out, count, domain })` returns the paths.
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

const md5 = (s) => createHash("md5").update(s).digest("hex");

/** user0000 … with at least 4 digits (more when count > 10,000). */
export function userName(i, count) {
  return `user${String(i).padStart(Math.max(4, String(count - 1).length), "0")}`;
}

export async function makeUsers({ out, count = 10_000, domain = "parley.test", sqlite = true }) {
  const dir = resolve(out);
  const textDir = join(dir, "db_text");
  mkdirSync(textDir, { recursive: true });

  const users = [];
  for (let i = 0; i < count; i++) {
    const user = userName(i, count);
    users.push({ id: i + 1, user, password: `pw-${user}`, domain });
  }

  const csv = join(dir, "users.csv");
  writeFileSync(csv, `SEQUENTIAL\n${users.map((u) => `${u.user};${u.password};${u.domain}`).join("\n")}\n`);

  // db_text: a header line of typed columns, then ':'-separated rows (no ':' in our values).
  const ha1 = (u) => md5(`${u.user}:${u.domain}:${u.password}`);
  const ha1b = (u) => md5(`${u.user}@${u.domain}:${u.domain}:${u.password}`);
  writeFileSync(
    join(textDir, "subscriber"),
    "id(int,auto) username(string) domain(string) password(string) ha1(string) ha1b(string) \n" +
      users.map((u) => `${u.id}:${u.user}:${u.domain}:${u.password}:${ha1(u)}:${ha1b(u)}`).join("\n") +
      "\n",
  );
  writeFileSync(
    join(textDir, "version"),
    "id(int,auto) table_name(string) table_version(int) \n0:version:1\n0:subscriber:7\n",
  );

  let sqlitePath;
  if (sqlite) {
    let Database;
    try {
      ({ default: Database } = await import("better-sqlite3"));
    } catch {
      Database = undefined;
    }
    if (Database) {
      sqlitePath = join(dir, "users.sqlite");
      const db = new Database(sqlitePath);
      db.exec(`
        DROP TABLE IF EXISTS version;
        DROP TABLE IF EXISTS subscriber;
        CREATE TABLE version (
          id INTEGER PRIMARY KEY NOT NULL,
          table_name VARCHAR(32) NOT NULL,
          table_version INTEGER DEFAULT 0 NOT NULL,
          CONSTRAINT version_t_name_idx UNIQUE (table_name)
        );
        INSERT INTO version (table_name, table_version) VALUES ('version', 1), ('subscriber', 7);
        CREATE TABLE subscriber (
          id INTEGER PRIMARY KEY NOT NULL,
          username VARCHAR(64) DEFAULT '' NOT NULL,
          domain VARCHAR(64) DEFAULT '' NOT NULL,
          password VARCHAR(64) DEFAULT '' NOT NULL,
          ha1 VARCHAR(128) DEFAULT '' NOT NULL,
          ha1b VARCHAR(128) DEFAULT '' NOT NULL,
          CONSTRAINT subscriber_account_idx UNIQUE (username, domain)
        );
        CREATE INDEX subscriber_username_idx ON subscriber (username);
      `);
      const insert = db.prepare(
        "INSERT INTO subscriber (id, username, domain, password, ha1, ha1b) VALUES (?, ?, ?, ?, ?, ?)",
      );
      db.transaction(() => {
        for (const u of users) insert.run(u.id, u.user, u.domain, u.password, ha1(u), ha1b(u));
      })();
      db.close();
    }
  }
  return { dir, csv, dbText: textDir, sqlite: sqlitePath, count, domain };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      out: { type: "string" },
      count: { type: "string", default: "10000" },
      domain: { type: "string", default: "parley.test" },
    },
  });
  if (!values.out) {
    console.error("usage: make-users.mjs --out DIR [--count 10000] [--domain parley.test]");
    process.exit(2);
  }
  const result = await makeUsers({ out: values.out, count: Number(values.count), domain: values.domain });
  console.log(JSON.stringify(result));
}
