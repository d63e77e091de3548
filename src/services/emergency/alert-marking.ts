import type { DialledDevice } from "../../calls/index.ts";

/**
 * RFC 7462 (https://www.rfc-editor.org/rfc/rfc7462): the `service` alert URN with the value
 * `emergency` tells a phone the call is an emergency call, whatever its vendor.
 */
export const EMERGENCY_ALERT_URN = "<urn:alert:service:emergency>";

/**
 * How one phone model is told to ring for an emergency: a vendor form of Alert-Info that its
 * configuration maps to a ring tone (`<http://localhost/>;info=alert-emergency`,
 * `<http://localhost/>;info=Bellcore-dr4`, a Polycom ring class, or another RFC 7462 URN such as
 * `<urn:alert:priority:high>`). A phone matches by the User-Agent it registered with, or because
 * an admin assigned the profile to its user.
 */
export interface PhoneProfile {
  name: string;
  /** Case-insensitive text found in the User-Agent header of the phone's REGISTER. */
  userAgent?: string;
  /** Users (extension or extension@domain) whose phones all use this profile. */
  users?: readonly string[];
  /** The Alert-Info value(s) this model understands, sent before the RFC 7462 URN. */
  alertInfo: string;
}

/**
 * The Alert-Info for an emergency INVITE to one phone: the vendor form of the first profile that
 * matches the phone, then the RFC 7462 URN. Alert-Info may carry several values and a phone acts
 * on those it understands, so a desk phone that knows its vendor form rings with it and other
 * phones fall back to the URN. Without a matching profile, the URN alone.
 */
export function emergencyAlertInfo(
  profiles: readonly PhoneProfile[],
  device: DialledDevice,
  defaultDomain: string,
): string {
  const profile = profiles.find((p) => matches(p, device, defaultDomain));
  return profile ? `${profile.alertInfo}, ${EMERGENCY_ALERT_URN}` : EMERGENCY_ALERT_URN;
}

function matches(profile: PhoneProfile, device: DialledDevice, defaultDomain: string): boolean {
  if (device.extension && profile.users?.length) {
    const domain = device.domain ?? defaultDomain;
    const full = `${device.extension}@${domain}`;
    const short = domain === defaultDomain ? device.extension : undefined;
    if (profile.users.some((u) => u === full || u === short)) return true;
  }
  const agent = device.userAgent?.toLowerCase();
  return Boolean(profile.userAgent && agent?.includes(profile.userAgent.toLowerCase()));
}
