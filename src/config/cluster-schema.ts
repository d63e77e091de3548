import Type from "typebox";
import { section } from "./schema-parts.ts";

/** Running several nodes on shared PostgreSQL and Redis (defaults live here). */
export const ClusterSection = section(
  {
    redis: Type.String({
      default: "",
      pattern: "^(|rediss?://.+)$",
      allowed: "empty, or a redis:// or rediss:// URL",
      description:
        "Redis shared by the nodes of a cluster (registrations, who is in a call where, job leases, commands between nodes), e.g. redis://10.0.0.5:6379/0; empty runs one node with in-process state.",
    }),
    node_id: Type.String({
      default: "",
      pattern: "^[A-Za-z0-9_.-]{0,64}$",
      allowed: "letters, digits, _ . - (at most 64); empty: host name and SIP port",
      description:
        "This node's name in the cluster, unique among the nodes; shown in logs, CDRs and the API.",
    }),
    key_prefix: Type.String({
      default: "parley:",
      pattern: "^[A-Za-z0-9_.:-]{1,64}$",
      description:
        "Prefix of every Redis key and channel Parley uses, so several clusters can share one Redis.",
    }),
  },
  "Several Parley nodes behind Kamailio on shared PostgreSQL and Redis; see docs/scale-out.md.",
);
