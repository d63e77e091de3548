/**
 * What the pages of services 1 to 3 (members) and 5 (admins) need from the rest of Parley (ports
 * belong to their consumer). The services' own objects fit these shapes structurally; node/ wires
 * them, and the portal's tests pass in-memory fakes or the real service.
 */

import type { CallbackJob, CallbackOrigin } from "../../../services/background-call/index.ts";
import type {
  EmergencyAuditEntry,
  EmergencyAuditQuery,
  EmergencyCallView,
  EmergencyNumber,
} from "../../../services/emergency/index.ts";
import type { RecordingSubscription } from "../../../services/recording/index.ts";
import type { DeliveryReport, OutgoingVoiceMessage, Signature } from "../../../services/voicemail/index.ts";

/** Service 1: recording subscriptions (RecordingSubscriptions fits) and the user's feature flag. */
export interface PortalRecording {
  subscriptions: {
    get(user: string): Promise<RecordingSubscription | undefined>;
    set(user: string, subscription: RecordingSubscription): Promise<void>;
  };
  /** The directory's feature side (SubscriberDirectory fits). */
  directory: {
    findUser(
      extension: string,
      domain?: string,
    ): Promise<{ id: string; extension: string; features: { recording: boolean } } | undefined>;
    updateUser(id: string, changes: { features: { recording: boolean } }): Promise<unknown>;
  };
}

/** One message of a mailbox folder (the IMAP store's StoredMessage fits). */
export interface PortalStoredMessage {
  readonly uid: number;
  readonly flags: readonly string[];
  readonly internalDate: Date;
}

/** Service 2: the voicemail node (VoicemailNode fits: service, store, signatures). */
export interface PortalVoicemail {
  service: {
    delivery: { send(message: OutgoingVoiceMessage): Promise<DeliveryReport> };
  };
  store: {
    messages(user: string, mailbox: string): Promise<PortalStoredMessage[]>;
    source(user: string, mailbox: string, uid: number): Promise<Buffer | undefined>;
  };
  signatures: {
    get(user: string): Promise<Signature | undefined>;
    put(user: string, signature: Signature): Promise<void>;
    remove(user: string): Promise<boolean>;
  };
}

/**
 * Service 3: the background-call service (BackgroundCallService fits). `begin` rejects with a
 * refusal (an Error whose `code` starts with `CALLBACK_`, the service's CallbackRefused) whose
 * message is shown as it is.
 */
export interface PortalBackgroundCalls {
  begin(request: { caller: string; callee: string; origin: CallbackOrigin }): Promise<CallbackJob>;
  stop(id: string, by: string): Promise<CallbackJob | undefined>;
  get(id: string): Promise<CallbackJob | undefined>;
  /** Newest first. */
  list(query: { caller?: string; limit: number }): Promise<CallbackJob[]>;
  /** The offer after repeated unanswered calls (CallbackOffers fits). */
  offers: {
    hasOffer(caller: string): boolean;
    /** Takes the open offer: the callee, or undefined when it has expired. */
    accept(caller: string, at: number): string | undefined;
  };
  settings: { offerThreshold: number };
}

/** A call record as the history shows it (call control's CallRecord fits). */
export interface PortalCallRecord {
  id: string;
  kind: string;
  /** What was dialled. */
  to: string;
  /** The user who placed the call. */
  caller?: string;
  /** Epoch ms. */
  startedAt: number;
  disposition?: string;
}

/** Recent calls, for the "Keep trying" buttons (call control's CdrStore fits). */
export interface PortalCallHistory {
  /** Newest first; `party` matches the caller among other fields. */
  list(query: { party?: string; limit?: number }): Promise<PortalCallRecord[]>;
}

/**
 * Service 5 for admins (EmergencyService fits): numbers, calls in progress and the audit trail.
 * Changes it refuses reject (or throw) with an Error whose `code` is `EMERGENCY_NUMBER_REFUSED`
 * and whose `status` (404, 409, 422) and message are shown as they are.
 */
export interface PortalEmergency {
  /** Config-file numbers (`source: "config"`, read-only) and admin ones, by number. */
  numbers(): EmergencyNumber[];
  number(digits: string): EmergencyNumber | undefined;
  saveNumber(entry: Omit<EmergencyNumber, "source">): Promise<EmergencyNumber>;
  removeNumber(digits: string): Promise<void>;
  calls(): EmergencyCallView[];
  call(callId: string): EmergencyCallView | undefined;
  /** Rings a user into a group call's room. */
  addParticipant(callId: string, user: string): void;
  setMuted(callId: string, partyId: string, muted: boolean): void;
  /** Hangs up one party of the call. */
  kick(callId: string, partyId: string): void;
  /** One call's steps oldest first (`callId`), else newest first. */
  audit(query: EmergencyAuditQuery): Promise<EmergencyAuditEntry[]>;
}
