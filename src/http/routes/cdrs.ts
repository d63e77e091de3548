import { Readable } from "node:stream";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import Type from "typebox";
import {
  type CallRecordWithLegs,
  CDR_DISPOSITIONS,
  type CdrQuery,
  type CdrStore,
  cdrCsvHeader,
  cdrCsvRow,
  type LegRecord,
} from "../../calls/index.ts";
import { HttpError } from "../errors.ts";
import { errorResponses } from "../schemas.ts";

export interface CdrRoutesOptions {
  /** Where call control writes call detail records. */
  cdrs: CdrStore;
}

const MAX_PAGE = 1000;
const isoTime = (description?: string) =>
  Type.String({ format: "date-time", ...(description !== undefined && { description }) });
const IsoTime = isoTime();
const Disposition = Type.Enum(CDR_DISPOSITIONS, {
  description:
    "How it ended: answered, no-answer, busy, failed, cancelled, or interrupted (open when the node died, closed at its next start).",
});
const Cause = Type.String({ description: "Q.850 cause name, e.g. NORMAL_CLEARING or USER_BUSY." });

const Leg = Type.Object(
  {
    id: Type.String(),
    direction: Type.Union([Type.Literal("inbound"), Type.Literal("outbound")]),
    sipCallId: Type.String({ description: "SIP Call-ID of this leg's dialog." }),
    from: Type.String(),
    to: Type.String(),
    target: Type.String({ description: "Contact URI or trunk the INVITE went to or came from." }),
    startedAt: IsoTime,
    ringingAt: Type.Optional(IsoTime),
    answeredAt: Type.Optional(IsoTime),
    endedAt: Type.Optional(IsoTime),
    disposition: Type.Optional(Disposition),
    sipStatus: Type.Optional(Type.Integer({ description: "Final SIP status of the INVITE." })),
    cause: Type.Optional(Cause),
    reason: Type.Optional(Type.String({ description: "Reason header at the end (RFC 3326), verbatim." })),
  },
  { description: "One attempt to reach a party: the inbound INVITE or one outbound INVITE of a fork." },
);

const Cdr = Type.Object(
  {
    id: Type.String(),
    kind: Type.Union([Type.Literal("inbound"), Type.Literal("originate")]),
    from: Type.String(),
    to: Type.String(),
    service: Type.String({ description: "The service that handled the call; basic for user-to-user calls." }),
    caller: Type.Optional(Type.String({ description: "The authenticated user who placed the call." })),
    callee: Type.Optional(Type.String({ description: "The local user who answered." })),
    startedAt: IsoTime,
    answeredAt: Type.Optional(IsoTime),
    endedAt: Type.Optional(IsoTime),
    disposition: Type.Optional(Disposition),
    sipStatus: Type.Optional(Type.Integer()),
    cause: Type.Optional(Cause),
    reason: Type.Optional(Type.String()),
    payer: Type.Optional(Type.String({ description: "The billing account that paid (click-to-call)." })),
    cost: Type.Optional(Type.Integer({ description: "What the payer was charged, minor units." })),
    currency: Type.Optional(Type.String()),
    priority: Type.Optional(
      Type.Integer({ description: "Emergency calls: the priority of the number dialled (1 or more)." }),
    ),
    node: Type.Optional(
      Type.String({ description: "The cluster node that ran the call (cluster.node_id)." }),
    ),
    legs: Type.Array(Leg, { description: "Leg attempts in start order." }),
  },
  { description: "A call detail record. A record without endedAt is a call in progress." },
);

const Filters = {
  since: Type.Optional(isoTime("Calls started at or after this time (ISO 8601 with a zone).")),
  before: Type.Optional(isoTime("Calls started before this time.")),
  party: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 256,
      description: "Text found in from, to, caller or callee (case-insensitive).",
    }),
  ),
  disposition: Type.Optional(Disposition),
  emergency: Type.Optional(
    Type.Boolean({ description: "true: only emergency calls (with a priority); false: only the others." }),
  ),
};

/** GET /api/v1/cdrs, /api/v1/cdrs/{id} and /api/v1/cdrs.csv: call detail records, newest first. */
export const cdrRoutes: FastifyPluginAsyncTypebox<CdrRoutesOptions> = async (app, { cdrs }) => {
  app.get(
    "/cdrs",
    {
      schema: {
        tags: ["cdrs"],
        summary: "List call detail records, newest first",
        description:
          "Pages hold `limit` calls; when more match, `nextCursor` is set: pass it as `cursor` (with the same filters) for the next page.",
        querystring: Type.Object({
          ...Filters,
          limit: Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: 100 }),
          cursor: Type.Optional(
            Type.String({ maxLength: 512, description: "nextCursor of the previous page." }),
          ),
        }),
        response: {
          200: Type.Object({ cdrs: Type.Array(Cdr), nextCursor: Type.Optional(Type.String()) }),
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (request) => {
      const { cursor, limit } = request.query;
      const query: CdrQuery = { ...filters(request.query), limit };
      if (cursor !== undefined) query.after = decodeCursor(cursor);
      const page = await cdrs.list(query);
      const last = page.at(-1);
      // A full page may be the last one: one more record tells.
      const more =
        last !== undefined && page.length >= limit
          ? (await cdrs.list({ ...query, after: { startedAt: last.startedAt, id: last.id }, limit: 1 }))
              .length > 0
          : false;
      return {
        cdrs: page.map(toJson),
        ...(more && last && { nextCursor: encodeCursor(last) }),
      };
    },
  );

  app.get(
    "/cdrs.csv",
    {
      schema: {
        tags: ["cdrs"],
        summary: "Export call detail records as CSV",
        description:
          "Every matching call, newest first, one row per call after a header row (RFC 4180: CRLF line ends, fields with a comma, quote or line break quoted). Times are ISO 8601 UTC; absent values are empty.",
        produces: ["text/csv"],
        querystring: Type.Object({
          ...Filters,
          limit: Type.Optional(Type.Integer({ minimum: 1, description: "At most this many calls." })),
        }),
        response: {
          200: {
            description:
              "Columns: id, kind, from, to, caller, callee, service, startedAt, answeredAt, endedAt, disposition, sipStatus, cause, reason, legs (the number of leg attempts), payer, cost, currency, priority, node.",
            content: { "text/csv": { schema: Type.String() } },
          },
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (request, reply) => {
      const rows = csvLines(cdrs, filters(request.query), request.query.limit ?? Number.POSITIVE_INFINITY);
      // Streamed a page at a time, so an export of every call never sits in memory; the schema
      // types the body as the text it becomes.
      const body = Readable.from(rows) as unknown as string;
      return reply
        .type("text/csv; charset=utf-8")
        .header("content-disposition", 'attachment; filename="cdrs.csv"')
        .send(body);
    },
  );

  app.get(
    "/cdrs/:id",
    {
      schema: {
        tags: ["cdrs"],
        summary: "Get one call detail record with its legs",
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) }),
        response: { 200: Cdr, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => {
      const record = await cdrs.get(request.params.id);
      if (!record) throw new HttpError("CDR_NOT_FOUND", `no call detail record ${request.params.id}`);
      return toJson(record);
    },
  );
};

function filters(query: {
  since?: string;
  before?: string;
  party?: string;
  disposition?: CdrQuery["disposition"];
  emergency?: boolean;
}) {
  const out: CdrQuery = {};
  if (query.since !== undefined) out.since = Date.parse(query.since);
  if (query.before !== undefined) out.before = Date.parse(query.before);
  if (query.party !== undefined) out.party = query.party;
  if (query.disposition !== undefined) out.disposition = query.disposition;
  if (query.emergency !== undefined) out.emergency = query.emergency;
  return out;
}

/** Every matching call as CSV lines, read from the store a page at a time. */
async function* csvLines(cdrs: CdrStore, query: CdrQuery, limit: number): AsyncGenerator<string> {
  yield cdrCsvHeader();
  let left = limit;
  let after: CdrQuery["after"];
  while (left > 0) {
    const page = await cdrs.list({ ...query, limit: Math.min(left, MAX_PAGE), ...(after && { after }) });
    for (const record of page) yield cdrCsvRow(record);
    const last = page.at(-1);
    if (!last || page.length < Math.min(left, MAX_PAGE)) return;
    left -= page.length;
    after = { startedAt: last.startedAt, id: last.id };
  }
}

/** The cursor is opaque to clients: base64url of the last record's start time and id. */
function encodeCursor(record: { startedAt: number; id: string }): string {
  return Buffer.from(JSON.stringify([record.startedAt, record.id])).toString("base64url");
}

function decodeCursor(cursor: string): { startedAt: number; id: string } {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(value) && Number.isSafeInteger(value[0]) && typeof value[1] === "string") {
      return { startedAt: value[0] as number, id: value[1] };
    }
  } catch {
    // reported below
  }
  throw new HttpError("HTTP_VALIDATION", "querystring cursor is not a cursor this API returned");
}

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

function toJson(record: CallRecordWithLegs) {
  const { legs, startedAt, answeredAt, endedAt, ...rest } = record;
  return withoutUndefined({
    ...rest,
    startedAt: new Date(startedAt).toISOString(),
    answeredAt: iso(answeredAt),
    endedAt: iso(endedAt),
    legs: legs.map(legJson),
  });
}

function legJson(leg: LegRecord) {
  const { callId: _callId, startedAt, ringingAt, answeredAt, endedAt, ...rest } = leg;
  return withoutUndefined({
    ...rest,
    startedAt: new Date(startedAt).toISOString(),
    ringingAt: iso(ringingAt),
    answeredAt: iso(answeredAt),
    endedAt: iso(endedAt),
  });
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
