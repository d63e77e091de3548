export { SipStack, type SipStackOptions } from "./sip-stack.ts";
export { type RequestHandler, UserAgentCore, type UserAgentCoreOptions } from "./user-agent-core.ts";
