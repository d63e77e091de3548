import type { Config } from "../config/index.ts";
import {
  ApiTokenIssuer,
  Argon2WebPasswordHasher,
  type Domain,
  SubscriberDirectory,
} from "../directory/index.ts";
import type { Clock } from "../kernel/clock.ts";
import type { Logger } from "../kernel/log.ts";
import { SqlApiTokenStore, SqlDatabase, SqlDomainStore, SqlUserStore } from "../storage/index.ts";

export interface OpenedDirectory {
  database: SqlDatabase;
  directory: SubscriberDirectory;
  tokens: ApiTokenIssuer;
  defaultDomain: Domain;
}

/**
 * Opens the database named by `database.url`, applies pending migrations, and wires the
 * subscriber directory and API tokens to it. The default domain (`sip.domain`) is created on
 * first use. Both `parley serve` and the provisioning commands start here.
 */
export async function openDirectory(
  config: Config,
  deps: { logger: Logger; clock: Clock },
): Promise<OpenedDirectory> {
  const database = SqlDatabase.open({
    url: config.database.url,
    poolSize: config.database.pool_size,
    logger: deps.logger,
  });
  try {
    await database.migrate();
    const directory = new SubscriberDirectory({
      domains: new SqlDomainStore(database.db),
      users: new SqlUserStore(database.db),
      webPasswords: new Argon2WebPasswordHasher(),
      clock: deps.clock,
    });
    const defaultDomain = await directory.useDefaultDomain(config.sip.domain);
    const tokens = new ApiTokenIssuer({ tokens: new SqlApiTokenStore(database.db), clock: deps.clock });
    return { database, directory, tokens, defaultDomain };
  } catch (error) {
    await database.close();
    throw error;
  }
}
