import assert from "node:assert/strict";
import { test } from "node:test";
import {
  EMERGENCY_ALERT_URN,
  emergencyAlertInfo,
  type PhoneProfile,
} from "../../../../src/services/emergency/index.ts";

const PROFILES: PhoneProfile[] = [
  { name: "yealink", userAgent: "Yealink", alertInfo: "<http://localhost/>;info=alert-emergency" },
  { name: "polycom", userAgent: "PolycomVVX", alertInfo: "<http://localhost/>;info=emergency-ring" },
  {
    name: "lobby",
    users: ["1009", "2001@branch.example.com"],
    alertInfo: "<http://localhost/>;info=Bellcore-dr4",
  },
];

test("a phone no profile matches gets the RFC 7462 URN alone", () => {
  assert.equal(
    emergencyAlertInfo(PROFILES, { extension: "1002", userAgent: "baresip v1.0.0" }, "parley.test"),
    EMERGENCY_ALERT_URN,
  );
  assert.equal(emergencyAlertInfo([], {}, "parley.test"), "<urn:alert:service:emergency>");
});

test("a phone whose User-Agent contains a profile's text (any case) gets its vendor form first, then the URN", () => {
  assert.equal(
    emergencyAlertInfo(PROFILES, { extension: "1002", userAgent: "YEALINK SIP-T46U 108.86" }, "parley.test"),
    "<http://localhost/>;info=alert-emergency, <urn:alert:service:emergency>",
  );
  assert.equal(
    emergencyAlertInfo(PROFILES, { userAgent: "PolycomVVX-VVX_450-UA/6.4" }, "parley.test"),
    "<http://localhost/>;info=emergency-ring, <urn:alert:service:emergency>",
  );
});

test("a user the admin gave a profile gets it on every phone, by extension in the default domain or extension@domain", () => {
  const bellcore = "<http://localhost/>;info=Bellcore-dr4, <urn:alert:service:emergency>";
  assert.equal(
    emergencyAlertInfo(PROFILES, { extension: "1009", domain: "parley.test" }, "parley.test"),
    bellcore,
  );
  assert.equal(emergencyAlertInfo(PROFILES, { extension: "1009" }, "parley.test"), bellcore);
  assert.equal(
    emergencyAlertInfo(PROFILES, { extension: "2001", domain: "branch.example.com" }, "parley.test"),
    bellcore,
  );
  // The same extension in another tenant is another user.
  assert.equal(
    emergencyAlertInfo(PROFILES, { extension: "1009", domain: "other.example.com" }, "parley.test"),
    EMERGENCY_ALERT_URN,
  );
  assert.equal(
    emergencyAlertInfo(PROFILES, { extension: "2001", domain: "parley.test" }, "parley.test"),
    EMERGENCY_ALERT_URN,
  );
});

test("the first matching profile wins", () => {
  const both = [PROFILES[2] as PhoneProfile, PROFILES[0] as PhoneProfile];
  assert.equal(
    emergencyAlertInfo(both, { extension: "1009", userAgent: "Yealink" }, "parley.test"),
    "<http://localhost/>;info=Bellcore-dr4, <urn:alert:service:emergency>",
  );
});
