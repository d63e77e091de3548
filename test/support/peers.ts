import type { TestContext } from "node:test";

/**
 * What a test does when an outside peer (PostgreSQL, SIPp, baresip, Chromium …) is missing: on a
 * laptop it skips with a message saying how to get the peer; in CI (CI=true) the test fails,
 * because a skipped interop test there would hide a broken install step.
 */
export function missingPeer(t: TestContext, what: string, howToGet: string): void {
  const message = `${what} is not available: ${howToGet}`;
  if (process.env.CI === "true") throw new Error(`${message} (required in CI)`);
  t.skip(message);
}
