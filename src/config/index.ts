export { ConfigError } from "./errors.ts";
export { environmentName, type LoadConfigOptions, type LoadedConfig, loadConfig } from "./load.ts";
export { redactConfig, redactUrl } from "./redact.ts";
export { renderExampleToml, renderKeyTable } from "./reference.ts";
export {
  type Config,
  ConfigSchema,
  type EmergencyNumberConfig,
  type PhoneProfileConfig,
  SECRET_KEYS,
  type TrunkConfig,
} from "./schema.ts";
