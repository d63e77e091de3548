import type { Leg } from "../legs/leg.ts";
import type { CallPlayItem } from "../service-api/call-session.ts";
import type { Call } from "./call.ts";
import type { CallPresence, NodeReply } from "./call-presence.ts";
import type { ConferenceRooms } from "./conference-rooms.ts";

/**
 * RFC 4411 §4 preemption of one user's leg in `call`, for a call of higher priority that needs
 * that user: the leg is released from its partners (bridges, rooms) and gets BYE with
 * `Reason: preemption ;cause=1 ;text="UA Preemption"`; every other live party is released too,
 * hears `announcement` ("this call has been interrupted for an emergency call") and then gets the
 * same BYE. Parties that never answered are hung up at once. Returns the other parties.
 */
export function preemptLeg(
  call: Call,
  leg: Leg,
  announcement: CallPlayItem[],
  rooms: ConferenceRooms,
): Array<{ id: string; uri: string }> {
  while (call.releasePartner(leg)) {}
  rooms.leaveAll(leg);
  call.logger.info({ legId: leg.id }, "preempted for a call of higher priority");
  leg.hangup("PREEMPTED");
  const others = call.parties.filter((other) => other !== leg && !other.ended);
  for (const other of others) {
    while (call.releasePartner(other)) {}
    rooms.leaveAll(other);
    if (!other.answered || announcement.length === 0) {
      other.hangup("PREEMPTED");
      continue;
    }
    void call.play(other, announcement).then(() => other.hangup("PREEMPTED"));
  }
  return others.map((other) => ({
    id: other.id,
    uri: other.direction === "inbound" ? other.addresses.from : other.addresses.to,
  }));
}

/**
 * The user's calls on other nodes of a cluster: the node that runs each call preempts it (or
 * refuses, for a call of equal or higher priority) and says so. A node that does not answer in
 * time counts as having nothing to preempt.
 */
export async function preemptElsewhere(
  presence: CallPresence,
  aor: string,
  by: Call,
  announcement: CallPlayItem[],
): Promise<{ preempted: Array<{ callId: string; others: string[] }>; blocked: number }> {
  const preempted: Array<{ callId: string; others: string[] }> = [];
  let blocked = 0;
  const remote = await presence.elsewhere(aor).catch(() => []);
  for (const entry of remote) {
    const reply: NodeReply = await presence
      .request(entry.node, {
        kind: "preempt",
        legId: entry.legId,
        callId: entry.callId,
        priority: by.priority,
        announcement,
      })
      .catch((error: unknown) => {
        by.logger.warn({ err: error, node: entry.node }, "node did not answer a preemption");
        return { kind: "gone" } as const;
      });
    if (reply.kind === "blocked") blocked++;
    if (reply.kind === "preempted") {
      by.logger.info(
        { preemptedCall: reply.callId, node: entry.node, aor },
        "preempted a call on another node",
      );
      preempted.push({ callId: reply.callId, others: reply.others });
    }
  }
  return { preempted, blocked };
}
