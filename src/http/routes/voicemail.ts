import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyRequest } from "fastify";
import Type from "typebox";
import type { SubscriberDirectory } from "../../directory/index.ts";
import { toNarrowbandWav } from "../../media/index.ts";
import {
  type Signature,
  type SignatureStore,
  signatureDocument,
  type VoicemailService,
  type VoicemailStore,
} from "../../services/voicemail/index.ts";
import { HttpError } from "../errors.ts";
import { callerOf } from "../plugins/bearer-auth.ts";
import { errorResponses } from "../schemas.ts";
import { reachableUser, userKey } from "../user-key.ts";

export interface VoicemailRoutesOptions {
  directory: SubscriberDirectory;
  /** The voicemail service and its stores, once the node runs them (503 before). */
  voicemail: () =>
    | { service: VoicemailService; store: VoicemailStore; signatures: SignatureStore }
    | undefined;
}

/** A voice message or signature upload may be this large as JSON (base64 audio and image). */
export const VOICEMAIL_UPLOAD_LIMIT = 16 * 1024 * 1024;

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 320 }) });
const Base64 = (description: string) => Type.String({ pattern: "^[A-Za-z0-9+/=\\s]*$", description });
const SignatureBody = Type.Object(
  {
    text: Type.Optional(Type.String({ maxLength: 2000, description: "The text part." })),
    voice: Type.Optional(Base64("The voice part: base64 WAV (any rate; stored as 8 kHz mono).")),
    image: Type.Optional(
      Type.Object(
        {
          contentType: Type.Union([Type.Literal("image/png"), Type.Literal("image/jpeg")]),
          data: Base64("The image, base64."),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false, description: "A sender's signature: any of text, voice and image." },
);
const MailboxView = Type.Object({
  user: Type.String({ description: "extension@domain" }),
  hasPin: Type.Boolean(),
  hasGreeting: Type.Boolean(),
  maxMessageSeconds: Type.Optional(Type.Integer()),
  maxMessages: Type.Optional(Type.Integer()),
  divertAlways: Type.Boolean({ description: "Every call goes straight to voicemail." }),
  notifyEmail: Type.Optional(Type.String()),
  newMessages: Type.Integer(),
  oldMessages: Type.Integer(),
});
const MailboxChanges = Type.Object(
  {
    pin: Type.Optional(Type.Union([Type.String({ pattern: "^[0-9]{4,12}$" }), Type.Null()])),
    maxMessageSeconds: Type.Optional(Type.Integer({ minimum: 5, maximum: 3600 })),
    maxMessages: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
    divertAlways: Type.Optional(Type.Boolean()),
    notifyEmail: Type.Optional(
      Type.Union([
        Type.String({
          pattern: "^[^@\\s]+@[^@\\s]+$",
          description: "E-mail address that gets each new message, audio attached.",
        }),
        Type.Null(),
      ]),
    ),
  },
  { additionalProperties: false },
);
const SendBody = Type.Object(
  {
    from: Type.Optional(
      Type.String({
        minLength: 3,
        description: "Sender extension@domain (admin tokens; a user token sends as its user).",
      }),
    ),
    to: Type.Array(Type.String({ pattern: "^[^@\\s]+@[^@\\s]+$" }), { minItems: 1, maxItems: 100 }),
    audio: Base64("The message: base64 WAV or MP3."),
    audioType: Type.Optional(
      Type.Union([Type.Literal("audio/wav"), Type.Literal("audio/mpeg")], { default: "audio/wav" }),
    ),
    urgent: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
const SendReport = Type.Object({
  messageId: Type.String(),
  signature: Type.Union([Type.Literal("attached"), Type.Literal("none"), Type.Literal("unavailable")]),
  recipients: Type.Array(
    Type.Object({
      address: Type.String(),
      outcome: Type.Union([
        Type.Literal("filed"),
        Type.Literal("queued"),
        Type.Literal("full"),
        Type.Literal("unknown"),
        Type.Literal("no-route"),
      ]),
    }),
  ),
});
const MessageList = Type.Array(
  Type.Object({
    folder: Type.String(),
    uid: Type.Integer(),
    flags: Type.Array(Type.String()),
    date: Type.String({ format: "date-time" }),
    size: Type.Integer(),
  }),
);

/**
 * Voicemail over REST: mailbox settings, greeting, the sender's signature (also read by other
 * Parley servers that use this one as their signature server), sending a voice message without a
 * call, and listing a mailbox. Admins reach every user; a user token reaches its own.
 */
export const voicemailRoutes: FastifyPluginAsyncTypebox<VoicemailRoutesOptions> = async (
  app,
  { directory, voicemail },
) => {
  app.addContentTypeParser(
    ["audio/wav", "audio/x-wav", "audio/wave", "audio/mpeg"],
    { parseAs: "buffer", bodyLimit: VOICEMAIL_UPLOAD_LIMIT },
    (_request, body, done) => done(null, body),
  );
  const vm = () => {
    const found = voicemail();
    if (!found) throw new HttpError("HTTP_UNAVAILABLE", "voicemail is not available on this node");
    return found;
  };
  const target = (request: FastifyRequest, id: string) => reachableUser(directory, request, id);

  app.get(
    "/users/:id/voicemail",
    {
      schema: {
        tags: ["voicemail"],
        summary: "A user's mailbox: settings and message counts",
        params: IdParams,
        response: { 200: MailboxView, ...errorResponses(401, 403, 404, 503) },
      },
    },
    async (request) => mailboxView(vm(), await target(request, request.params.id)),
  );

  app.patch(
    "/users/:id/voicemail",
    {
      schema: {
        tags: ["voicemail"],
        summary: "Change a user's mailbox settings (PIN, limits, divert every call)",
        params: IdParams,
        body: MailboxChanges,
        response: { 200: MailboxView, ...errorResponses(400, 401, 403, 404, 503) },
      },
    },
    async (request) => {
      const { service } = vm();
      const user = await target(request, request.params.id);
      const { pin, ...rest } = request.body;
      if (pin !== undefined) await service.setPin(user, pin);
      await service.updateSettings(user, rest);
      return mailboxView(vm(), user);
    },
  );

  app.put(
    "/users/:id/voicemail/greeting",
    {
      schema: {
        tags: ["voicemail"],
        summary: "Upload a personal greeting (WAV or MP3 body; stored as 8 kHz mono WAV)",
        params: IdParams,
        response: {
          200: Type.Object({ sizeBytes: Type.Integer() }),
          ...errorResponses(400, 401, 403, 404, 415, 503),
        },
      },
    },
    async (request) => {
      const user = await target(request, request.params.id);
      const type = String(request.headers["content-type"] ?? "").startsWith("audio/mpeg")
        ? "audio/mpeg"
        : "audio/wav";
      if (!Buffer.isBuffer(request.body))
        throw new HttpError("HTTP_BAD_REQUEST", "send the greeting as audio/wav or audio/mpeg");
      const size = await vm()
        .service.uploadGreeting(user, request.body, type)
        .catch((error: unknown) => {
          throw new HttpError("HTTP_BAD_REQUEST", `not usable audio: ${(error as Error).message}`);
        });
      return { sizeBytes: size };
    },
  );

  app.delete(
    "/users/:id/voicemail/greeting",
    {
      schema: {
        tags: ["voicemail"],
        summary: "Go back to the standard greeting",
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses(401, 403, 404, 503) },
      },
    },
    async (request, reply) => {
      await vm().service.updateSettings(await target(request, request.params.id), { greeting: null });
      return reply.code(204).send(null);
    },
  );

  app.get(
    "/users/:id/voicemail/messages",
    {
      schema: {
        tags: ["voicemail"],
        summary: "The messages in a user's mailbox (every folder)",
        params: IdParams,
        response: { 200: MessageList, ...errorResponses(401, 403, 404, 503) },
      },
    },
    async (request) => {
      const { store } = vm();
      const user = await target(request, request.params.id);
      const list = [];
      for (const folder of ["INBOX", "Old", "Saved"]) {
        for (const m of await store.messages(user, folder)) {
          list.push({
            folder,
            uid: m.uid,
            flags: [...m.flags],
            date: m.internalDate.toISOString(),
            size: m.size,
          });
        }
      }
      return list;
    },
  );

  for (const path of ["/users/:id/signature", "/signatures/:id"] as const) {
    app.get(
      path,
      {
        schema: {
          tags: ["voicemail"],
          summary:
            path === "/signatures/:id"
              ? "A sender's signature, for servers that use this one as their signature server"
              : "A user's signature",
          params: IdParams,
          response: { 200: SignatureBody, ...errorResponses(401, 403, 404, 503) },
        },
      },
      async (request) => {
        const user = await target(request, request.params.id);
        const signature = await vm().signatures.get(user);
        if (!signature) throw new HttpError("HTTP_NOT_FOUND", `${user} has no signature`);
        return signatureDocument(signature);
      },
    );
  }

  app.put(
    "/users/:id/signature",
    {
      bodyLimit: VOICEMAIL_UPLOAD_LIMIT,
      schema: {
        tags: ["voicemail"],
        summary: "Store a user's signature (text, voice, image: any of them)",
        params: IdParams,
        body: SignatureBody,
        response: { 200: SignatureBody, ...errorResponses(400, 401, 403, 404, 503) },
      },
    },
    async (request) => {
      const user = await target(request, request.params.id);
      const body = request.body;
      if (body.text === undefined && body.voice === undefined && body.image === undefined)
        throw new HttpError("HTTP_BAD_REQUEST", "a signature needs text, voice or image");
      const signature: Signature = {};
      if (body.text !== undefined) signature.text = body.text;
      if (body.voice !== undefined) {
        signature.voice = await toNarrowbandWav(Buffer.from(body.voice, "base64"), "audio/wav", {
          maxSeconds: 30,
        }).catch((error: unknown) => {
          throw new HttpError("HTTP_BAD_REQUEST", `voice: ${(error as Error).message}`);
        });
      }
      if (body.image) {
        const data = Buffer.from(body.image.data, "base64");
        if (!imageMatches(data, body.image.contentType))
          throw new HttpError("HTTP_BAD_REQUEST", `image: not a ${body.image.contentType} file`);
        signature.image = { contentType: body.image.contentType, data };
      }
      await vm().signatures.put(user, signature);
      return signatureDocument(signature);
    },
  );

  app.delete(
    "/users/:id/signature",
    {
      schema: {
        tags: ["voicemail"],
        summary: "Remove a user's signature",
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses(401, 403, 404, 503) },
      },
    },
    async (request, reply) => {
      const user = await target(request, request.params.id);
      if (!(await vm().signatures.remove(user)))
        throw new HttpError("HTTP_NOT_FOUND", `${user} has no signature`);
      return reply.code(204).send(null);
    },
  );

  app.post(
    "/voicemail/messages",
    {
      bodyLimit: VOICEMAIL_UPLOAD_LIMIT,
      schema: {
        tags: ["voicemail"],
        summary: "Send a pre-recorded voice message to mailboxes here or on other servers",
        description:
          "The sender's signature is attached when the sender is a user of this server (their own, or from the signature server).",
        body: SendBody,
        response: { 202: SendReport, ...errorResponses(400, 401, 403, 404, 503) },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const body = request.body;
      const sender = caller.admin
        ? body.from
          ? await userKey(directory, body.from)
          : undefined
        : (caller.user as string);
      if (!sender) throw new HttpError("HTTP_BAD_REQUEST", "an admin token names the sender in from");
      if (!caller.admin && body.from !== undefined && body.from.toLowerCase() !== sender)
        throw new HttpError("HTTP_FORBIDDEN", `a user token sends only as its user (${sender})`);
      const audio = await toNarrowbandWav(Buffer.from(body.audio, "base64"), body.audioType ?? "audio/wav", {
        maxSeconds: 600,
      }).catch((error: unknown) => {
        throw new HttpError("HTTP_BAD_REQUEST", `audio: ${(error as Error).message}`);
      });
      const { service } = vm();
      const report = await service.delivery.send({
        sender: { user: sender, address: sender },
        recipients: body.to.map((t) => t.toLowerCase()),
        callerId: sender.slice(0, sender.indexOf("@")),
        audio,
        durationSeconds: Math.max(1, Math.round((audio.length - 44) / 16_000)),
        urgent: body.urgent ?? false,
        date: service.now(),
      });
      return reply.code(202).send(report);
    },
  );
};

async function mailboxView(vm: { service: VoicemailService; store: VoicemailStore }, user: string) {
  const settings = await vm.service.settings(user);
  const counts = await vm.store.counts(user);
  return {
    user,
    hasPin: settings?.pinHash !== undefined,
    hasGreeting: settings?.greeting !== undefined,
    ...(settings?.maxMessageSeconds === undefined ? {} : { maxMessageSeconds: settings.maxMessageSeconds }),
    ...(settings?.maxMessages === undefined ? {} : { maxMessages: settings.maxMessages }),
    divertAlways: settings?.divertAlways ?? false,
    ...(settings?.notifyEmail ? { notifyEmail: settings.notifyEmail } : {}),
    newMessages: counts.newMessages,
    oldMessages: counts.oldMessages,
  };
}

/** PNG and JPEG by their magic numbers. */
function imageMatches(data: Buffer, type: "image/png" | "image/jpeg"): boolean {
  return type === "image/png"
    ? data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
    : data[0] === 0xff && data[1] === 0xd8;
}
