import type { Migration } from "kysely";
import { migration0001Directory } from "./0001-directory.ts";
import { migration0002Registrations } from "./0002-registrations.ts";
import { migration0003Cdrs } from "./0003-cdrs.ts";
import { migration0004Recordings } from "./0004-recordings.ts";
import { migration0005RecordingAccess } from "./0005-recording-access.ts";
import { migration0006RecordingLocation } from "./0006-recording-location.ts";
import { migration0007Voicemail } from "./0007-voicemail.ts";
import { migration0008BackgroundCalls } from "./0008-background-calls.ts";
import { migration0009Billing } from "./0009-billing.ts";
import { migration0010Portal } from "./0010-portal.ts";
import { migration0011ClickToCall } from "./0011-click-to-call.ts";
import { migration0012CdrCharges } from "./0012-cdr-charges.ts";
import { migration0013Emergency } from "./0013-emergency.ts";
import { migration0014CdrNode } from "./0014-cdr-node.ts";
import { migration0015RingbackTones } from "./0015-ringback-tones.ts";

/**
 * Every schema migration, in order. Names sort as applied; a released migration is never edited,
 * a change gets the next number.
 */
export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  "0001-directory": migration0001Directory,
  "0002-registrations": migration0002Registrations,
  "0003-cdrs": migration0003Cdrs,
  "0004-recordings": migration0004Recordings,
  "0005-recording-access": migration0005RecordingAccess,
  "0006-recording-location": migration0006RecordingLocation,
  "0007-voicemail": migration0007Voicemail,
  "0008-background-calls": migration0008BackgroundCalls,
  "0009-billing": migration0009Billing,
  "0010-portal": migration0010Portal,
  "0011-click-to-call": migration0011ClickToCall,
  "0012-cdr-charges": migration0012CdrCharges,
  "0013-emergency": migration0013Emergency,
  "0014-cdr-node": migration0014CdrNode,
  "0015-ringback-tones": migration0015RingbackTones,
};
