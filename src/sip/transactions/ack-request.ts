import { SipRequest, type SipResponse } from "../messages/index.ts";

/**
 * The ACK a client INVITE transaction sends for a non-2xx final response, RFC 3261 §17.1.1.3:
 * "The ACK request constructed by the client transaction MUST contain values for the Call-ID,
 * From, and Request-URI that are equal to the values of those header fields in the request passed
 * to the transport by the client transaction … The To header field in the ACK MUST equal the To
 * header field in the response being acknowledged … The ACK MUST contain a single Via header
 * field, and this MUST be equal to the top Via header field of the original request … the CSeq
 * header field in the ACK MUST contain the same value for the sequence number as was present in
 * the original request, but the method parameter MUST be equal to "ACK"." Route headers of the
 * INVITE are copied too.
 */
export function ackForNon2xx(invite: SipRequest, response: SipResponse): SipRequest {
  const ack = new SipRequest({ method: "ACK", uri: invite.uriText });
  const h = invite.headers;
  ack.headers.append("Via", h.lines("via")[0] ?? "");
  for (const route of h.lines("route")) ack.headers.append("Route", route);
  ack.headers.append("Max-Forwards", "70");
  ack.headers.append("From", h.get("from") ?? "");
  ack.headers.append("To", response.headers.get("to") ?? "");
  ack.headers.append("Call-ID", h.get("call-id") ?? "");
  ack.headers.append("CSeq", `${invite.cseq.seq} ACK`);
  return ack;
}
