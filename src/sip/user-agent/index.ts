export {
  ALLOW,
  IncomingInvite,
  type IncomingInviteEvents,
  type IncomingInviteState,
} from "./incoming-invite.ts";
export {
  InviteSession,
  type InviteSessionDelegate,
  type InviteSessionEvents,
  type SessionEnd,
  type SessionReply,
  type SipBody,
} from "./invite-session.ts";
export { LocalAddress } from "./local-address.ts";
export {
  OutgoingInvite,
  type OutgoingInviteEvents,
  type OutgoingInviteOptions,
  type OutgoingInviteState,
} from "./outgoing-invite.ts";
export type { SessionContext } from "./session-context.ts";
export { SipStack, type SipStackOptions } from "./sip-stack.ts";
export {
  type EventHeader,
  eventText,
  parseEvent,
  Subscription,
  type SubscriptionEnd,
  type SubscriptionState,
  type TerminationReason,
} from "./subscription.ts";
export {
  SubscriptionNotifier,
  type SubscriptionNotifierEvents,
  type SubscriptionNotifierOptions,
} from "./subscription-notifier.ts";
export {
  type CancelListener,
  type DialogUser,
  type RequestHandler,
  UserAgentCore,
  type UserAgentCoreOptions,
} from "./user-agent-core.ts";
