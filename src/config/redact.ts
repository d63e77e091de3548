import type { Config } from "./schema.ts";

/** A copy of the configuration with secrets masked, for `parley config check` and start-up logs. */
export function redactConfig(config: Config): Config {
  const copy = structuredClone(config) as Config;
  copy.database.url = redactUrl(copy.database.url);
  if (copy.sip.nonce_secret !== "") copy.sip.nonce_secret = "*****";
  if (copy.recording.webhook_secret !== "") copy.recording.webhook_secret = "*****";
  for (const trunk of copy.trunks) if (trunk.password !== "") trunk.password = "*****";
  return copy;
}

/** postgres://parley:secret@db/parley → postgres://parley:*****@db/parley */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:/@]+:)[^@]*@/i, "$1*****@");
}
