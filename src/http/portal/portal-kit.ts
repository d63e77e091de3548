import type { FastifyReply, FastifyRequest } from "fastify";
import type { Clock } from "../../kernel/clock.ts";
import type { LoginThrottle } from "./login-throttle.ts";
import type { PortalAccess } from "./portal-access.ts";
import type { PortalSessions } from "./portal-sessions.ts";
import type {
  PortalAdmin,
  PortalBalances,
  PortalClickToCall,
  PortalDirectory,
  PortalMerchants,
  PortalSessionStore,
} from "./ports.ts";
import type {
  PortalBackgroundCalls,
  PortalCallHistory,
  PortalEmergency,
  PortalRecording,
  PortalVoicemail,
} from "./services/service-ports.ts";
import type { AssetUrls, PageContext } from "./views/layout.ts";

/** What node/ passes to the portal (HttpServerOptions.portal). */
export interface PortalOptions {
  /** Session expiry, login rate limits and the event stream's keep-alive run on this clock. */
  clock: Clock;
  directory: PortalDirectory;
  sessions: PortalSessionStore;
  merchants: PortalMerchants;
  /** The click-to-call service once it runs (the call pages answer 503 before). */
  clickToCall: () => PortalClickToCall | undefined;
  balances: PortalBalances;
  /** Users (extension@domain) with the admin role. */
  adminUsers?: readonly string[];
  /** Billing, merchants, users and calls for the admin pages (and merchants' balances on /merchant); those pages answer 503 without it. */
  admin?: PortalAdmin;
  /** Recording subscriptions and feature flags (the /recording pages answer 503 without them). */
  recording?: PortalRecording;
  /** Voicemail once it runs (the /voicemail pages answer 503 while undefined). */
  voicemail?: () => PortalVoicemail | undefined;
  /** Background calls once they run (the /background-calls page answers 503 while undefined). */
  backgroundCalls?: () => PortalBackgroundCalls | undefined;
  /** Emergency calls once they run (the /admin/emergency pages answer 503 while undefined). */
  emergency?: () => PortalEmergency | undefined;
  /** Call records, for "Keep trying" beside recent unanswered calls (left out without them). */
  callHistory?: PortalCallHistory;
  /** Default 30 minutes. */
  sessionIdleSeconds?: number;
  /** Default 12 hours. */
  sessionLifetimeSeconds?: number;
  /** Failed logins allowed per account and per address within the window; default 5. */
  loginMaxFailures?: number;
  /** Default 15 minutes. */
  loginWindowSeconds?: number;
}

/** What the portal's route modules share. */
export interface PortalKit {
  options: PortalOptions;
  sessions: PortalSessions;
  access: PortalAccess;
  throttle: LoginThrottle;
  assets: AssetUrls;
  /** Sends a whole HTML page with its status. */
  send(reply: FastifyReply, status: number, body: string): FastifyReply;
  /** The context every page is rendered with. */
  context(request: FastifyRequest): PageContext;
  /**
   * The CSRF check of state-changing requests, answering the 403 page when it fails. The portal's
   * hook runs it on every form, except routes with `config.csrfAfterParts` (multipart uploads),
   * whose scope runs it once the parts are read.
   */
  checkCsrf(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined>;
  /** Sends an error page. */
  fail(
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    heading: string,
    message: string,
  ): FastifyReply;
}

/** `extension@domain` split at its last @; an account without @ is in the default domain. */
export function splitAccount(account: string): { extension: string; domain?: string } {
  const at = account.lastIndexOf("@");
  if (at < 0) return { extension: account };
  return { extension: account.slice(0, at), domain: account.slice(at + 1).toLowerCase() };
}
