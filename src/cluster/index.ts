/** Redis adapters for the shared-state ports of a cluster (registrations, call presence, node liveness). */
export { RedisBindingStore } from "./redis-binding-store.ts";
export { RedisCallPresence } from "./redis-call-presence.ts";
export { type LeadershipRole, RedisLeadership } from "./redis-leadership.ts";
export { RedisLink, type RedisLinkOptions } from "./redis-link.ts";
