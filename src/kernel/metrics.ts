import { collectDefaultMetrics, Registry } from "prom-client";

export type { Registry } from "prom-client";

/**
 * The node's Prometheus registry. One per ParleyNode (not prom-client's global), so that several
 * nodes in one test process keep their counters apart. Process metrics carry the `parley_` prefix.
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "parley_" });
  return registry;
}
