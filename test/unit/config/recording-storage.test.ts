import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ConfigError, loadConfig, redactConfig, SECRET_KEYS } from "../../../src/config/index.ts";

const cwd = () => mkdtempSync(join(tmpdir(), "parley-config-storage-"));

function failure(env: Record<string, string>): string {
  try {
    loadConfig({ cwd: cwd(), env });
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    assert.ok(!error.message.includes("\n"), "one line");
    return error.message;
  }
  assert.fail("expected a config error");
}

test("recordings are kept locally under <data_dir>/recordings unless recording.storage says s3", () => {
  const dir = cwd();
  const { config } = loadConfig({ cwd: dir, env: {} });
  assert.equal(config.recording.storage, "local");
  assert.equal(config.recording.dir, join(dir, "var", "recordings"));
  assert.equal(config.recording.s3_prefix, "recordings/");
  assert.equal(config.recording.s3_region, "us-east-1");
  assert.equal(config.recording.s3_endpoint, "");
  assert.equal(config.recording.s3_force_path_style, true);
});

test('recording.storage = "s3" without a bucket is one line naming recording.s3_bucket', () => {
  assert.equal(
    failure({ PARLEY_RECORDING_STORAGE: "s3" }),
    'config error: recording.s3_bucket is empty: recording.storage = "s3" needs the bucket recordings go to',
  );
  assert.match(
    failure({ PARLEY_RECORDING_STORAGE: "ftp" }),
    /^config error: recording\.storage = "ftp" \(from PARLEY_RECORDING_STORAGE\): must be /,
  );
});

test("an S3 access key goes with its secret, and the endpoint must be an http(s) URL", () => {
  const s3 = { PARLEY_RECORDING_STORAGE: "s3", PARLEY_RECORDING_S3_BUCKET: "calls" };
  assert.match(
    failure({ ...s3, PARLEY_RECORDING_S3_ACCESS_KEY_ID: "AKIA" }),
    /^config error: recording\.s3_access_key_id and recording\.s3_secret_access_key go together/,
  );
  assert.match(
    failure({ ...s3, PARLEY_RECORDING_S3_ENDPOINT: "minio:9000" }),
    /^config error: recording\.s3_endpoint = "minio:9000" \(from PARLEY_RECORDING_S3_ENDPOINT\): must be empty or an "http:\/\/" or "https:\/\/" URL$/,
  );
  const { config } = loadConfig({
    cwd: cwd(),
    env: {
      ...s3,
      PARLEY_RECORDING_S3_ENDPOINT: "http://127.0.0.1:9000",
      PARLEY_RECORDING_S3_FORCE_PATH_STYLE: "false",
    },
  });
  assert.equal(config.recording.storage, "s3");
  assert.equal(config.recording.s3_force_path_style, false);
});

test("parley config check masks the S3 keys", () => {
  const { config } = loadConfig({
    cwd: cwd(),
    env: {
      PARLEY_RECORDING_STORAGE: "s3",
      PARLEY_RECORDING_S3_BUCKET: "calls",
      PARLEY_RECORDING_S3_ACCESS_KEY_ID: "AKIAEXAMPLE",
      PARLEY_RECORDING_S3_SECRET_ACCESS_KEY: "wJalrXUtnFEMI",
    },
  });
  const shown = redactConfig(config).recording;
  assert.equal(shown.s3_access_key_id, "*****");
  assert.equal(shown.s3_secret_access_key, "*****");
  assert.equal(shown.s3_bucket, "calls");
  assert.ok(SECRET_KEYS.includes("recording.s3_secret_access_key"));
  assert.ok(SECRET_KEYS.includes("recording.s3_access_key_id"));
});
