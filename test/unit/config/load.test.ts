import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import fc from "fast-check";
import { ConfigError, loadConfig, redactConfig } from "../../../src/config/index.ts";

function dirWith(toml?: string): string {
  const dir = mkdtempSync(join(tmpdir(), "parley-config-"));
  if (toml !== undefined) writeFileSync(join(dir, "parley.toml"), toml);
  return dir;
}

function failure(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    assert.equal(error.code, "CONFIG_INVALID");
    assert.ok(!error.message.includes("\n"), "the message is one line");
    return error.message;
  }
  assert.fail("expected loadConfig to throw");
}

describe("loadConfig", () => {
  test("with no file and no environment it yields the embedded defaults under ./var", () => {
    const cwd = dirWith();
    const { config, file } = loadConfig({ cwd, env: {} });
    assert.equal(file, undefined);
    assert.equal(config.data_dir, join(cwd, "var"));
    assert.equal(config.database.url, `sqlite:${join(cwd, "var", "parley.db")}`);
    assert.equal(config.http.port, 8080);
    assert.equal(config.sip.port, 5060);
    assert.equal(config.sip.domain, "localhost");
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.http), "the configuration is deep-frozen");
  });

  test("reads ./parley.toml and lets PARLEY_* variables override it", () => {
    const cwd = dirWith('[http]\nport = 9000\nhost = "0.0.0.0"\n[sip]\ndomain = "pbx.example.com"\n');
    const { config, file } = loadConfig({
      cwd,
      env: {
        PARLEY_HTTP_PORT: "9100",
        PARLEY_MEDIA_RTP_PORT_MIN: "40000",
        PARLEY_MEDIA_RTP_PORT_MAX: "40100",
      },
    });
    assert.equal(file, join(cwd, "parley.toml"));
    assert.equal(config.http.port, 9100);
    assert.equal(config.http.host, "0.0.0.0");
    assert.equal(config.sip.domain, "pbx.example.com");
    assert.equal(config.media.rtp_port_min, 40000);
  });

  test("--config wins over PARLEY_CONFIG, which wins over ./parley.toml", () => {
    const cwd = dirWith("[http]\nport = 1\n");
    writeFileSync(join(cwd, "a.toml"), "[http]\nport = 2\n");
    writeFileSync(join(cwd, "b.toml"), "[http]\nport = 3\n");
    assert.equal(loadConfig({ cwd, env: { PARLEY_CONFIG: "b.toml" } }).config.http.port, 3);
    assert.equal(loadConfig({ cwd, path: "a.toml", env: { PARLEY_CONFIG: "b.toml" } }).config.http.port, 2);
  });

  test('rejects sip.port = "abc" in one line naming the key, the value, the file and the rule', () => {
    const cwd = dirWith('[sip]\nport = "abc"\n');
    assert.equal(
      failure(() => loadConfig({ cwd, env: {} })),
      `config error: sip.port = "abc" (in ${join(cwd, "parley.toml")}): must be an integer from 0 to 65535`,
    );
  });

  test("rejects an unknown key and suggests the closest known one", () => {
    const cwd = dirWith("[http]\nprot = 80\n");
    assert.equal(
      failure(() => loadConfig({ cwd, env: {} })),
      `config error: unknown key http.prot in ${join(cwd, "parley.toml")} (did you mean http.port?)`,
    );
    assert.match(
      failure(() => loadConfig({ cwd: dirWith("[sipp]\nport = 1\n"), env: {} })),
      /unknown key sipp in .* \(did you mean sip\?\)/,
    );
  });

  test("rejects a configuration file that does not exist or cannot be read", () => {
    const cwd = dirWith();
    assert.equal(
      failure(() => loadConfig({ cwd, path: "missing.toml", env: {} })),
      `config error: cannot read the file given by --config or PARLEY_CONFIG ${join(cwd, "missing.toml")}: ENOENT`,
    );
    const dir = dirWith();
    assert.match(
      failure(() => loadConfig({ cwd: dir, path: dir, env: {} })),
      /cannot read .*: EISDIR$/,
    );
    if (process.getuid?.() !== 0) {
      writeFileSync(join(dir, "locked.toml"), "");
      chmodSync(join(dir, "locked.toml"), 0o000);
      assert.match(
        failure(() => loadConfig({ cwd: dir, path: "locked.toml", env: {} })),
        /EACCES$/,
      );
    }
  });

  test("rejects a file that is not TOML, with the parser's position", () => {
    const cwd = dirWith("[http\nport = 1\n");
    assert.match(
      failure(() => loadConfig({ cwd, env: {} })),
      /^config error: .*parley\.toml is not valid TOML: .+/,
    );
  });

  test("rejects bad environment values and unknown PARLEY_ variables", () => {
    const cwd = dirWith();
    assert.equal(
      failure(() => loadConfig({ cwd, env: { PARLEY_SIP_PORT: "abc" } })),
      'config error: sip.port = "abc" (from PARLEY_SIP_PORT): must be an integer from 0 to 65535',
    );
    assert.equal(
      failure(() => loadConfig({ cwd, env: { PARLEY_HTTP_PROT: "80" } })),
      "config error: unknown environment variable PARLEY_HTTP_PROT (did you mean PARLEY_HTTP_PORT?)",
    );
    assert.equal(
      failure(() => loadConfig({ cwd, env: { PARLEY_LOG_LEVEL: "loud" } })),
      'config error: log.level = "loud" (from PARLEY_LOG_LEVEL): must be one of "fatal", "error", "warn", "info", "debug", "trace", "silent"',
    );
    assert.match(
      failure(() => loadConfig({ cwd, env: { PARLEY_DATABASE_URL: "mysql://db/parley" } })),
      /^config error: database\.url = "mysql:\/\/db\/parley" \(from PARLEY_DATABASE_URL\): must be empty, "sqlite:<path>"/,
    );
    assert.equal(
      loadConfig({ cwd, env: { PARLEY_TEST_PG_URL: "x", PARLEY_CONFIG: "" } }).config.http.port,
      8080,
    );
  });

  test("sip.tls_cert and sip.tls_key must be set together, and are resolved against the working directory", () => {
    const cwd = dirWith();
    assert.equal(
      failure(() => loadConfig({ cwd, env: { PARLEY_SIP_TLS_CERT: "cert.pem" } })),
      "config error: sip.tls_cert and sip.tls_key go together: set both to enable SIP over TLS, or neither",
    );
    const { config } = loadConfig({
      cwd,
      env: { PARLEY_SIP_TLS_CERT: "cert.pem", PARLEY_SIP_TLS_KEY: "/etc/k.pem" },
    });
    assert.equal(config.sip.tls_cert, join(cwd, "cert.pem"));
    assert.equal(config.sip.tls_key, "/etc/k.pem");
  });

  test("rejects an empty RTP port range", () => {
    const cwd = dirWith("[media]\nrtp_port_min = 30000\nrtp_port_max = 20000\n");
    assert.match(
      failure(() => loadConfig({ cwd, env: {} })),
      /^config error: media\.rtp_port_min = 30000, media\.rtp_port_max = 20000: /,
    );
  });

  test("resolves sqlite paths under data_dir and keeps postgres URLs as they are", () => {
    const cwd = dirWith();
    const env = { PARLEY_DATA_DIR: "/srv/parley", PARLEY_DATABASE_URL: "sqlite:db/main.db" };
    assert.equal(loadConfig({ cwd, env }).config.database.url, "sqlite:/srv/parley/db/main.db");
    const url = "postgres://parley:secret@db.internal:5432/parley";
    assert.equal(loadConfig({ cwd, env: { PARLEY_DATABASE_URL: url } }).config.database.url, url);
  });

  test("redactConfig masks the database password", () => {
    const cwd = dirWith();
    const { config } = loadConfig({
      cwd,
      env: { PARLEY_DATABASE_URL: "postgres://parley:hunter2@db/parley" },
    });
    assert.equal(redactConfig(config).database.url, "postgres://parley:*****@db/parley");
    assert.equal(config.database.url, "postgres://parley:hunter2@db/parley", "the original is untouched");
  });

  test("property: every port 0..65535 is accepted from the environment, every non-number is refused by name", () => {
    const cwd = dirWith();
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 65535 }), (port) => {
        assert.equal(loadConfig({ cwd, env: { PARLEY_SIP_PORT: String(port) } }).config.sip.port, port);
      }),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !/^\s*-?\d+(\.\d+)?\s*$/.test(s)),
        (text) => {
          assert.match(
            failure(() => loadConfig({ cwd, env: { PARLEY_HTTP_PORT: text } })),
            /^config error: http\.port = .* \(from PARLEY_HTTP_PORT\): must be an integer from 0 to 65535$/,
          );
        },
      ),
      { numRuns: 200 },
    );
  });
});
