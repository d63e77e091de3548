import { bad, expectArgs, type ImapCommand, no, ok } from "./command.ts";

/**
 * STARTTLS (https://www.rfc-editor.org/rfc/rfc3501#section-6.2.1): "the server MUST issue a tagged
 * OK response [...] then begin the TLS negotiation". Offered only with a certificate and only
 * before TLS is up; the handshake starts after the OK is written.
 */
export const starttlsCommand: ImapCommand = {
  name: "STARTTLS",
  states: ["NotAuthenticated"],
  updates: "none",
  async handle(context, args) {
    expectArgs(context, args, 0);
    if (context.session.secure) return bad("TLS is already active");
    if (!context.session.tlsAvailable) return no("TLS is not available", "CANNOT");
    return { ...ok("Begin TLS negotiation now"), after: () => context.session.startTls() };
  },
};
