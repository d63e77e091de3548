import type { Config } from "./schema.ts";

/** A copy of the configuration with secrets masked, for `parley config check` and start-up logs. */
export function redactConfig(config: Config): Config {
  const copy = structuredClone(config) as Config;
  copy.database.url = redactUrl(copy.database.url);
  copy.cluster.redis = redactUrl(copy.cluster.redis);
  if (copy.sip.nonce_secret !== "") copy.sip.nonce_secret = "*****";
  if (copy.recording.webhook_secret !== "") copy.recording.webhook_secret = "*****";
  if (copy.recording.s3_access_key_id !== "") copy.recording.s3_access_key_id = "*****";
  if (copy.recording.s3_secret_access_key !== "") copy.recording.s3_secret_access_key = "*****";
  for (const trunk of copy.trunks) if (trunk.password !== "") trunk.password = "*****";
  return copy;
}

/** postgres://parley:secret@db/parley → postgres://parley:*****@db/parley; redis://:secret@r → redis://:*****@r */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:/@]*:)[^@]*@/i, "$1*****@");
}
