// Provisions the bench users (user0000…, password pw-<user>) into a Parley database, through the
// same SubscriberDirectory the CLI and REST API use. Usage (run.mjs does this):
//   node --import tsx bench/register/provision-parley.ts <data-dir> <count> <domain> [database-url]
// Without a database URL the users go to the node's SQLite file in <data-dir>; with one (a
// cluster's shared PostgreSQL, bench/cluster/run.mjs) they go there.
import { loadConfig } from "../../src/config/index.ts";
import { SystemClock } from "../../src/kernel/clock.ts";
import { silentLogger } from "../../src/kernel/log.ts";
import { openDirectory } from "../../src/node/index.ts";
import { userName } from "./make-users.mjs";

const [dataDir, countText, domain, databaseUrl] = process.argv.slice(2);
if (!dataDir || !countText || !domain)
  throw new Error("usage: provision-parley.ts <data-dir> <count> <domain> [database-url]");
const count = Number(countText);
const { config } = loadConfig({
  env: {
    PARLEY_DATA_DIR: dataDir,
    PARLEY_SIP_DOMAIN: domain,
    ...(databaseUrl ? { PARLEY_DATABASE_URL: databaseUrl } : {}),
  },
});
const opened = await openDirectory(config, { logger: silentLogger(), clock: new SystemClock() });
for (let i = 0; i < count; i++) {
  const user = userName(i, count);
  await opened.directory.addUser({ extension: user, password: `pw-${user}` });
}
await opened.database.close();
