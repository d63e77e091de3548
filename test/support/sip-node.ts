import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config/index.ts";
import type { UserFeatures } from "../../src/directory/index.ts";
import type { Clock } from "../../src/kernel/clock.ts";
import { silentLogger } from "../../src/kernel/log.ts";
import { openDirectory, ParleyNode } from "../../src/node/index.ts";

export interface SipTestNode {
  node: ParleyNode;
  /** host:port of the UDP/TCP SIP listener. */
  target: string;
  domain: string;
  /** An admin API token, and the API's base URL. */
  adminToken: string;
  api: string;
  stop(): Promise<void>;
}

/**
 * A running node on 127.0.0.1 with SIP on a free port and the given users (password
 * `pw-<extension>`, web password `web-<extension>`) in domain `parley.test`. `env` adds PARLEY_* settings, `options.toml` a
 * parley.toml (for settings the environment cannot carry, such as [[trunks]]).
 */
export async function startSipTestNode(
  users: string[],
  env: Record<string, string> = {},
  options: { toml?: string; clock?: Clock; features?: Partial<UserFeatures>; dataDir?: string } = {},
): Promise<SipTestNode> {
  const dir = options.dataDir ?? mkdtempSync(join(tmpdir(), "parley-sip-"));
  if (options.toml) writeFileSync(join(dir, "parley.toml"), options.toml);
  const domain = "parley.test";
  const { config } = loadConfig({
    cwd: dir,
    env: {
      PARLEY_DATA_DIR: dir,
      PARLEY_HTTP_PORT: "0",
      PARLEY_SIP_PORT: "0",
      PARLEY_IMAP_PORT: "0",
      PARLEY_IMAP_HOST: "127.0.0.1",
      PARLEY_SMTP_PORT: "0",
      PARLEY_SMTP_HOST: "127.0.0.1",
      PARLEY_SIP_WS_PORT: "0",
      PARLEY_SIP_HOST: "127.0.0.1",
      PARLEY_SIP_DOMAIN: domain,
      ...env,
    },
  });
  const logger = silentLogger();
  const opened = await openDirectory(config, {
    logger,
    clock: { now: Date.now, monotonic: () => performance.now(), setTimer: () => ({ cancel() {} }) },
  });
  for (const extension of users) {
    if (await opened.directory.findUser(extension).catch(() => undefined)) continue;
    await opened.directory.addUser({
      extension,
      password: `pw-${extension}`,
      webPassword: `web-${extension}`,
      ...(options.features ? { features: options.features } : {}),
    });
  }
  const adminToken = (await opened.tokens.issue({ name: "test", admin: true })).secret;
  await opened.database.close();
  const node = new ParleyNode({ config, logger, ...(options.clock ? { clock: options.clock } : {}) });
  await node.start();
  return {
    node,
    domain,
    adminToken,
    api: `http://127.0.0.1:${node.httpAddress.port}/api/v1`,
    target: `127.0.0.1:${node.sipAddresses.udp?.port}`,
    stop: () => node.stop(),
  };
}

/**
 * A node (not started) on an in-memory database with every listener on a free port; `env`
 * adds or overrides PARLEY_* settings.
 */
export function memoryNode(env: Record<string, string> = {}, clock?: Clock): ParleyNode {
  const { config } = loadConfig({
    env: {
      PARLEY_DATABASE_URL: "sqlite::memory:",
      PARLEY_HTTP_PORT: "0",
      PARLEY_SIP_PORT: "0",
      PARLEY_IMAP_PORT: "0",
      PARLEY_IMAP_HOST: "127.0.0.1",
      PARLEY_SMTP_PORT: "0",
      PARLEY_SMTP_HOST: "127.0.0.1",
      PARLEY_SIP_WS_PORT: "0",
      ...env,
    },
  });
  return new ParleyNode({ config, logger: silentLogger(), ...(clock ? { clock } : {}) });
}
