export { LoginThrottle, type LoginThrottleOptions } from "./login-throttle.ts";
export { MemoryPortalSessionStore } from "./memory-portal-session-store.ts";
export { PortalAccess, type PortalRole, type PortalViewer } from "./portal-access.ts";
export type { PortalOptions } from "./portal-kit.ts";
export { portalRoutes } from "./portal-routes.ts";
export { SESSION_COOKIE } from "./portal-sessions.ts";
export type * from "./ports.ts";
