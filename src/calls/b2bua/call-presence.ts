import type { CallPlayItem } from "../service-api/call-session.ts";

/** A user's leg in a call on some node of the cluster. */
export interface PresenceEntry {
  node: string;
  legId: string;
  callId: string;
}

/** What one node asks another about a call running there. */
export type NodeRequest =
  | {
      kind: "preempt";
      /** The user's leg to preempt, and its call. */
      legId: string;
      callId: string;
      /** The preempting call's priority: calls of this priority or higher are left alone. */
      priority: number;
      /** What the other parties of the preempted call hear before their BYE. */
      announcement: CallPlayItem[];
    }
  /** Hang up a call (every party) that runs on that node (an API request that reached another node). */
  | { kind: "hangup"; callId: string };

export type NodeReply =
  | { kind: "preempted"; callId: string; others: string[] }
  | { kind: "hungup"; callId: string }
  | { kind: "blocked" }
  /** The leg or call is not (or no longer) on that node. */
  | { kind: "gone" };

/**
 * Who is in a call on the other nodes of a cluster, and requests to those nodes about their
 * calls: the busy check and preemption (RFC 4411) across nodes. Call control announces the legs
 * of users on its own node; a single node needs none of this (no presence: everything is local).
 */
export interface CallPresence {
  readonly nodeId: string;
  add(aor: string, entry: PresenceEntry): void;
  remove(aor: string, legId: string): void;
  /** The user's legs on other nodes that are alive. */
  elsewhere(aor: string): Promise<PresenceEntry[]>;
  /** Asks `node`; rejects when it does not answer in time. */
  request(node: string, body: NodeRequest): Promise<NodeReply>;
  /** Answers the requests other nodes send this one. */
  onRequest(handler: (body: NodeRequest) => Promise<NodeReply>): void;
}
