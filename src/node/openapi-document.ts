import { loadConfig } from "../config/index.ts";
import { buildHttpServer } from "../http/index.ts";
import { SystemClock } from "../kernel/clock.ts";
import { silentLogger } from "../kernel/log.ts";
import { createMetricsRegistry } from "../kernel/metrics.ts";
import { openDirectory } from "./open-directory.ts";
import { PARLEY_VERSION } from "./version.ts";

/**
 * The OpenAPI 3.1 document of the REST API, generated from the route schemas (the same one
 * served at /api/docs/json). Built on a throw-away in-memory database, so it needs no running node.
 */
export async function openApiDocument(): Promise<object> {
  const { config } = loadConfig({
    env: { PARLEY_DATABASE_URL: "sqlite::memory:", PARLEY_LOG_LEVEL: "silent" },
  });
  const logger = silentLogger();
  const opened = await openDirectory(config, { logger, clock: new SystemClock() });
  try {
    const app = await buildHttpServer({
      logger,
      metrics: createMetricsRegistry(),
      directory: opened.directory,
      tokens: opened.tokens,
      version: PARLEY_VERSION,
      ready: async () => {},
    });
    await app.ready();
    const document = app.swagger();
    await app.close();
    return document;
  } finally {
    await opened.database.close();
  }
}
