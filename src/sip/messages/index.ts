export { canonicalHeaderName, headerKey } from "./header-names.ts";
export { CSeq, MAX_CSEQ } from "./headers/cseq.ts";
export { NameAddr } from "./headers/name-addr.ts";
export { BRANCH_COOKIE, Via } from "./headers/via.ts";
export {
  formatMessageSummary,
  MESSAGE_SUMMARY_TYPE,
  type MessageContextClass,
  type MessageCounts,
  type MessageSummary,
  parseMessageSummary,
} from "./message-summary.ts";
export {
  DEFAULT_PARSE_LIMITS,
  isKeepAlive,
  parseSipMessage,
  type SipMessageUnion,
  type SipParseLimits,
} from "./parser.ts";
export { createResponse, newTag, type ResponseOptions } from "./response-factory.ts";
export { splitList } from "./scanner.ts";
export { SipHeaders } from "./sip-headers.ts";
export { SipMessage } from "./sip-message.ts";
export { SipRequest } from "./sip-request.ts";
export { REASON_PHRASES, SipResponse } from "./sip-response.ts";
export { AbsoluteUri, isValidHost, parseUri, SipUri, TelUri, type Uri } from "./sip-uri.ts";
