export { AuthFailureBan, type AuthFailureBanOptions } from "./auth-failure-ban.ts";
export { type Binding, type BindingStore, MemoryBindingStore } from "./binding.ts";
export { LocationService } from "./location-service.ts";
export { Registrar, type RegistrarOptions, type SubscriberLookup } from "./registrar.ts";
