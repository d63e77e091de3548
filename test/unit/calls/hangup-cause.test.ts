import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  causeFromReason,
  causeFromStatus,
  HANGUP_CAUSES,
  type HangupCause,
  reasonHeader,
  statusForCause,
} from "../../../src/calls/index.ts";

describe("HangupCause (one vocabulary, one mapping each way)", () => {
  test("SIP statuses map to causes as RFC 3398 §7.2.4.1 says, classes falling back to x00", () => {
    assert.equal(causeFromStatus(200), "NORMAL_CLEARING");
    assert.equal(causeFromStatus(486), "USER_BUSY");
    assert.equal(causeFromStatus(600), "USER_BUSY");
    assert.equal(causeFromStatus(404), "UNALLOCATED_NUMBER");
    assert.equal(causeFromStatus(480), "NO_USER_RESPONSE");
    assert.equal(causeFromStatus(487), "ORIGINATOR_CANCEL");
    assert.equal(causeFromStatus(488), "INCOMPATIBLE_DESTINATION");
    assert.equal(causeFromStatus(603), "CALL_REJECTED");
    assert.equal(causeFromStatus(499), "NORMAL_TEMPORARY_FAILURE", "an unknown 4xx is treated as 400");
    assert.equal(causeFromStatus(699), "USER_BUSY", "an unknown 6xx is treated as 600");
  });

  test("causes map back to the status an INVITE is refused with (RFC 3398 §8.2.6.1)", () => {
    assert.equal(statusForCause("USER_BUSY"), 486);
    assert.equal(statusForCause("UNALLOCATED_NUMBER"), 404);
    assert.equal(statusForCause("NO_ANSWER"), 480);
    assert.equal(statusForCause("INCOMPATIBLE_DESTINATION"), 488);
    assert.equal(statusForCause("ORIGINATOR_CANCEL"), 487);
    assert.equal(statusForCause("NORMAL_UNSPECIFIED"), 500);
  });

  test("property: any failure status maps to a cause whose refusal is again a failure status", () => {
    fc.assert(
      fc.property(fc.integer({ min: 300, max: 699 }), (status) => {
        const back = statusForCause(causeFromStatus(status));
        assert.ok(back >= 400 && back <= 699, `${status} → ${causeFromStatus(status)} → ${back}`);
      }),
      { numRuns: 400 },
    );
  });

  test("Reason headers (RFC 3326, RFC 4411) are written and read back for every cause", () => {
    assert.equal(reasonHeader("USER_BUSY"), 'Q.850;cause=17;text="USER_BUSY"');
    assert.equal(reasonHeader("PREEMPTED"), 'preemption;cause=1;text="UA Preemption"');
    for (const cause of Object.keys(HANGUP_CAUSES) as HangupCause[]) {
      if ((HANGUP_CAUSES[cause] as number) > 127) continue; // Parley's own numbers are not Q.850
      assert.equal(causeFromReason([reasonHeader(cause)]), cause, cause);
    }
    assert.equal(causeFromReason(['SIP;cause=200;text="Call completed elsewhere"']), undefined);
    assert.equal(causeFromReason(["Q.850 ; cause = 16"]), "NORMAL_CLEARING");
    assert.equal(causeFromReason(["Q.850;cause=999"]), undefined);
  });
});
