import { atom } from "../parser/command-parser.ts";
import { bad, expectArgs, type ImapCommand, no } from "./command.ts";
import { verifyCredentials } from "./login.ts";

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * AUTHENTICATE (https://www.rfc-editor.org/rfc/rfc3501#section-6.2.2) with the PLAIN mechanism
 * (https://www.rfc-editor.org/rfc/rfc4616#section-2: `[authzid] NUL authcid NUL passwd`), the
 * response either after an empty `+` continuation or as an initial response on the command line
 * (SASL-IR, https://www.rfc-editor.org/rfc/rfc4959#section-3, `=` for an empty one). "If the
 * client wishes to cancel an authentication exchange, it issues a line consisting of a single
 * "*". If the server receives such a response, it MUST reject the AUTHENTICATE command by sending
 * a tagged BAD response."
 */
export const authenticateCommand: ImapCommand = {
  name: "AUTHENTICATE",
  states: ["NotAuthenticated"],
  updates: "none",
  async handle(context, args) {
    expectArgs(context, args, 1, 2);
    const mechanism = atom(args[0], "a SASL mechanism", context.tag).toUpperCase();
    if (mechanism !== "PLAIN") return no(`Unsupported mechanism ${mechanism}`, "CANNOT");
    let response: string;
    if (args.length === 2) {
      response = atom(args[1], "an initial response", context.tag);
      if (response === "=") response = "";
    } else {
      context.continuation("");
      const line = await context.readLine();
      if (line === undefined) return bad("Connection closed");
      response = line.toString("latin1").trim();
    }
    if (response === "*") return bad("Authentication cancelled");
    if (!BASE64.test(response)) return bad("Invalid base64 response");
    const [authzid, authcid, password, ...rest] = Buffer.from(response, "base64")
      .toString("utf8")
      .split("\0");
    if (authcid === undefined || password === undefined || rest.length > 0)
      return bad("Invalid PLAIN response");
    if (authzid && authzid !== authcid)
      return no("Acting as another user is not allowed", "AUTHORIZATIONFAILED");
    return verifyCredentials(context, authcid, password);
  },
};
