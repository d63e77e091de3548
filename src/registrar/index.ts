export { AuthFailureBan, type AuthFailureBanOptions } from "./auth-failure-ban.ts";
export {
  type Binding,
  type BindingChange,
  type BindingFeed,
  type BindingStore,
  MemoryBindingStore,
} from "./binding.ts";
export { DigestGate, type DigestGateVerdict } from "./digest-gate.ts";
export { type BindingPersistence, LocationService, type LocationServiceOptions } from "./location-service.ts";
export { Registrar, type RegistrarOptions, type SubscriberLookup } from "./registrar.ts";
