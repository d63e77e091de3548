import type { DialledDevice, DialOptions } from "../service-api/call-session.ts";

/**
 * The headers a dial's options put on each INVITE: Alert-Info (RFC 7462), chosen per phone when
 * the option is a function of the device; Resource-Priority (RFC 4412); Priority (RFC 3261
 * §20.26).
 */
export function dialHeaders(options: DialOptions, device: DialledDevice): Array<[string, string]> {
  const headers: Array<[string, string]> = [];
  const alertInfo = typeof options.alertInfo === "function" ? options.alertInfo(device) : options.alertInfo;
  if (alertInfo) headers.push(["Alert-Info", alertInfo]);
  if (options.resourcePriority) headers.push(["Resource-Priority", options.resourcePriority]);
  if (options.priority) headers.push(["Priority", options.priority]);
  return headers;
}
