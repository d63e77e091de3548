import { readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { parse as parseToml } from "smol-toml";
import Value from "typebox/value";
import { closestKey, describeRule, leafKeys, type SchemaNode } from "./describe.ts";
import { EmergencyNumberEntry, PhoneProfileEntry } from "./emergency-schema.ts";
import { ConfigError } from "./errors.ts";
import { type Config, ConfigSchema, TrunkEntry } from "./schema.ts";

export interface LoadConfigOptions {
  /** Path given with `--config`; wins over PARLEY_CONFIG. */
  path?: string;
  /** Environment to read PARLEY_* overrides from; process.env by default. */
  env?: NodeJS.ProcessEnv;
  /** Directory relative paths are resolved against; the working directory by default. */
  cwd?: string;
}

export interface LoadedConfig {
  config: Config;
  /** The file that was read, if any. */
  file: string | undefined;
}

const ROOT = ConfigSchema as unknown as SchemaNode;
const LEAVES = new Map(leafKeys(ROOT));
/** Environment variables with the PARLEY_ prefix that are not configuration keys. */
const NON_KEY_VARIABLES = new Set(["PARLEY_CONFIG"]);
const NON_KEY_PREFIXES = ["PARLEY_TEST_", "PARLEY_BENCH_"];

/**
 * Loads the configuration: TOML file → PARLEY_* environment overlay → defaults → validation →
 * derived values → deep freeze. Any problem throws a ConfigError whose message is one line naming
 * the key, the value, where it came from and what is allowed.
 */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const explicit = options.path ?? env.PARLEY_CONFIG;
  const file = explicit !== undefined && explicit !== "" ? resolve(cwd, explicit) : defaultFile(cwd);
  const raw: Record<string, unknown> = file ? readToml(file, explicit !== undefined) : {};
  const origins = new Map<string, string>();
  for (const key of flatten(raw).keys()) origins.set(key, `in ${file}`);
  checkUnknownKeys(raw, ROOT, "", file ?? "");
  applyEnvironment(raw, env, origins);

  checkTableList("trunks", raw.trunks, TrunkEntry, ["name", "host"], "name");
  checkTableList(
    "emergency_numbers",
    raw.emergency_numbers,
    EmergencyNumberEntry,
    ["number", "users"],
    "number",
  );
  checkTableList("phone_profiles", raw.phone_profiles, PhoneProfileEntry, ["name", "alert_info"], "name");
  const withDefaults = Value.Default(ConfigSchema, raw) as Record<string, unknown>;
  for (const [key, value] of flatten(withDefaults)) {
    const schema = LEAVES.get(key);
    if (schema && !Value.Check(schema as never, value)) {
      const origin = origins.get(key) ?? "default";
      throw new ConfigError(
        `config error: ${key} = ${JSON.stringify(value)} (${origin}): must be ${describeRule(schema)}`,
      );
    }
  }
  if (!Value.Check(ConfigSchema, withDefaults)) {
    const first = Value.Errors(ConfigSchema, withDefaults)[0];
    throw new ConfigError(`config error: ${first?.instancePath ?? ""}: ${first?.message ?? "invalid"}`);
  }
  // TOML tables have a null prototype; a plain clone gives every caller ordinary objects.
  const config = structuredClone(withDefaults) as Config;
  checkRelations(config);
  derive(config, cwd);
  return { config: deepFreeze(config), file };
}

/**
 * Each entry of a list of tables ([[trunks]], [[emergency_numbers]] …) key by key, so a mistake
 * names `trunks[1].port` and the rule; `unique` is the key no two entries may share.
 */
function checkTableList(
  list: string,
  entries: unknown,
  schema: unknown,
  required: readonly string[],
  unique: string,
): void {
  if (entries === undefined) return;
  if (!Array.isArray(entries))
    throw new ConfigError(`config error: ${list} must be a list of [[${list}]] tables`);
  const entry = schema as SchemaNode;
  const names = new Set<string>();
  entries.forEach((table: unknown, index) => {
    const at = `${list}[${index}]`;
    if (!isTable(table)) throw new ConfigError(`config error: ${at} must be a table of keys`);
    for (const [name, value] of Object.entries(table)) {
      const schema = entry.properties?.[name];
      if (!schema) {
        const hint = closestKey(name, Object.keys(entry.properties ?? {}));
        throw new ConfigError(
          `config error: unknown key ${at}.${name}${hint ? ` (did you mean ${hint}?)` : ""}`,
        );
      }
      if (!Value.Check(schema as never, value))
        throw new ConfigError(
          `config error: ${at}.${name} = ${JSON.stringify(value)}: must be ${describeRule(schema)}`,
        );
    }
    for (const key of required) {
      if (!(key in table)) throw new ConfigError(`config error: ${at}.${key} is missing`);
    }
    if (names.has(String(table[unique])))
      throw new ConfigError(`config error: ${at}.${unique} "${table[unique]}" is used twice`);
    names.add(String(table[unique]));
  });
}

function defaultFile(cwd: string): string | undefined {
  const candidate = resolve(cwd, "parley.toml");
  try {
    readFileSync(candidate);
    return candidate;
  } catch {
    return undefined;
  }
}

function readToml(file: string, explicit: boolean): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unknown error";
    const how = explicit ? "the file given by --config or PARLEY_CONFIG" : "the configuration file";
    throw new ConfigError(`config error: cannot read ${how} ${file}: ${code}`, { cause: error });
  }
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch (error) {
    const detail = (error as Error).message.split("\n")[0];
    throw new ConfigError(`config error: ${file} is not valid TOML: ${detail}`, { cause: error });
  }
}

function checkUnknownKeys(value: Record<string, unknown>, schema: SchemaNode, prefix: string, file: string) {
  for (const [name, child] of Object.entries(value)) {
    const key = prefix ? `${prefix}.${name}` : name;
    const childSchema = schema.properties?.[name];
    if (!childSchema) {
      const hint = closestKey(key, [...LEAVES.keys(), ...Object.keys(ROOT.properties ?? {})]);
      throw new ConfigError(
        `config error: unknown key ${key} in ${file}${hint ? ` (did you mean ${hint}?)` : ""}`,
      );
    }
    if (childSchema.type === "object" && isTable(child)) checkUnknownKeys(child, childSchema, key, file);
    // Entries of [[trunks]] and the other lists are checked key by key (checkTableList), with their index.
  }
}

/**
 * PARLEY_<SECTION>_<KEY> overrides <section>.<key>: PARLEY_HTTP_PORT → http.port,
 * PARLEY_MEDIA_RTP_PORT_MIN → media.rtp_port_min, PARLEY_DATA_DIR → data_dir. Values are strings
 * and are converted to the key's type; an unknown PARLEY_ variable is an error, because a typo
 * would otherwise be silently ignored.
 */
function applyEnvironment(
  raw: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  origins: Map<string, string>,
) {
  const byVariable = new Map([...LEAVES.keys()].map((key) => [environmentName(key), key]));
  for (const [variable, text] of Object.entries(env)) {
    if (!variable.startsWith("PARLEY_") || text === undefined) continue;
    if (NON_KEY_VARIABLES.has(variable) || NON_KEY_PREFIXES.some((p) => variable.startsWith(p))) continue;
    const key = byVariable.get(variable);
    if (!key) {
      const hint = closestKey(variable, [...byVariable.keys()]);
      throw new ConfigError(
        `config error: unknown environment variable ${variable}${hint ? ` (did you mean ${hint}?)` : ""}`,
      );
    }
    const schema = LEAVES.get(key) as SchemaNode;
    setPath(raw, key, fromEnvironment(text, schema));
    origins.set(key, `from ${variable}`);
  }
}

export function environmentName(key: string): string {
  return `PARLEY_${key.replaceAll(".", "_").toUpperCase()}`;
}

function fromEnvironment(text: string, schema: SchemaNode): unknown {
  const trimmed = text.trim();
  if ((schema.type === "integer" || schema.type === "number") && /^-?\d+(\.\d+)?$/.test(trimmed)) {
    return Number(trimmed);
  }
  if (schema.type === "array") return trimmed === "" ? [] : trimmed.split(",").map((item) => item.trim());
  // A table as "name=value,name=value" (PARLEY_CALLS_FEATURE_CODES="record-toggle=*9").
  if (schema.type === "object" && /^([^=,]+=[^=,]*)(,[^=,]+=[^=,]*)*$/.test(trimmed)) {
    return Object.fromEntries(trimmed.split(",").map((pair) => pair.split("=").map((part) => part.trim())));
  }
  if (schema.type === "boolean") {
    if (/^(true|yes|on|1)$/i.test(trimmed)) return true;
    if (/^(false|no|off|0)$/i.test(trimmed)) return false;
  }
  return text;
}

function checkRelations(config: Config) {
  if ((config.sip.tls_cert === "") !== (config.sip.tls_key === "")) {
    throw new ConfigError(
      "config error: sip.tls_cert and sip.tls_key go together: set both to enable SIP over TLS, or neither",
    );
  }
  const r = config.registrar;
  if (r.min_expires > r.max_expires) {
    throw new ConfigError(
      `config error: registrar.min_expires = ${r.min_expires} is above registrar.max_expires = ${r.max_expires}`,
    );
  }
  const timer = config.calls.session_timer;
  if (timer !== 0 && timer < 90) {
    throw new ConfigError(
      `config error: calls.session_timer = ${timer}: must be 0 or at least 90 (RFC 4028 Min-SE)`,
    );
  }
  const recording = config.recording;
  if (recording.storage === "s3" && recording.s3_bucket === "") {
    throw new ConfigError(
      'config error: recording.s3_bucket is empty: recording.storage = "s3" needs the bucket recordings go to',
    );
  }
  if ((recording.s3_access_key_id === "") !== (recording.s3_secret_access_key === "")) {
    throw new ConfigError(
      "config error: recording.s3_access_key_id and recording.s3_secret_access_key go together: set both, or neither to use the AWS SDK's default credentials",
    );
  }
  const { rtp_port_min: min, rtp_port_max: max } = config.media;
  if (max - min < 1) {
    throw new ConfigError(
      `config error: media.rtp_port_min = ${min}, media.rtp_port_max = ${max}: the RTP port range must hold at least one RTP/RTCP port pair (min below max)`,
    );
  }
}

/** Turns relative paths into absolute ones and fills the database URL default. */
function derive(config: Config, cwd: string) {
  config.data_dir = resolve(cwd, config.data_dir);
  if (config.sip.tls_cert !== "") config.sip.tls_cert = resolve(cwd, config.sip.tls_cert);
  if (config.sip.tls_key !== "") config.sip.tls_key = resolve(cwd, config.sip.tls_key);
  config.recording.dir = resolve(
    config.data_dir,
    config.recording.dir === "" ? "recordings" : config.recording.dir,
  );
  const url = config.database.url;
  if (url === "") {
    config.database.url = `sqlite:${resolve(config.data_dir, "parley.db")}`;
  } else if (url.startsWith("sqlite:") && url !== "sqlite::memory:") {
    const path = url.slice("sqlite:".length);
    config.database.url = `sqlite:${isAbsolute(path) ? path : resolve(config.data_dir, path)}`;
  }
}

function flatten(value: Record<string, unknown>, prefix = "", out = new Map<string, unknown>()) {
  for (const [name, child] of Object.entries(value)) {
    const key = prefix ? `${prefix}.${name}` : name;
    if (isTable(child) && ROOT.properties?.[name]?.type === "object" && prefix === "") {
      flatten(child, key, out);
    } else {
      out.set(key, child);
    }
  }
  return out;
}

function setPath(target: Record<string, unknown>, key: string, value: unknown) {
  const parts = key.split(".");
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (!isTable(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1] as string] = value;
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
