import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import Type from "typebox";
import { toNarrowbandWav, type UploadedAudioType } from "../../../media/index.ts";
import type { Signature } from "../../../services/voicemail/index.ts";
import { parseVoiceMessage } from "../../../smtp/index.ts";
import type { PortalKit } from "../portal-kit.ts";
import type { PortalVoicemail } from "./service-ports.ts";
import { uploadScope } from "./upload-scope.ts";
import {
  type InboxEntry,
  inboxPage,
  type SignatureView,
  sendPage,
  signaturePage,
} from "./voicemail-views.ts";

/** The INBOX page parses at most this many messages (the newest). */
const INBOX_PAGE = 50;
const MAX_RECIPIENTS = 100;
const MAILBOX = /^[^@\s,]+@[^@\s,]+$/;
const NoticeQuery = Type.Object({
  saved: Type.Optional(Type.String({ maxLength: 2 })),
  removed: Type.Optional(Type.String({ maxLength: 2 })),
});

/** WAV ("RIFF"…"WAVE") or MP3 (an ID3 tag or an MPEG frame sync) by their first bytes. */
export function audioTypeOf(data: Buffer): UploadedAudioType | undefined {
  if (
    data.length >= 12 &&
    data.toString("latin1", 0, 4) === "RIFF" &&
    data.toString("latin1", 8, 12) === "WAVE"
  )
    return "audio/wav";
  if (data.length >= 3 && data.toString("latin1", 0, 3) === "ID3") return "audio/mpeg";
  if (data.length >= 2 && data[0] === 0xff && ((data[1] ?? 0) & 0xe0) === 0xe0) return "audio/mpeg";
  return undefined;
}

/** PNG and JPEG by their magic numbers. */
export function imageTypeOf(data: Buffer): "image/png" | "image/jpeg" | undefined {
  if (data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])))
    return "image/png";
  if (data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return "image/jpeg";
  return undefined;
}

/** A multipart form's fields: text fields as strings, files as Buffers (upload-scope.ts). */
type Parts = Record<string, unknown>;
const text = (parts: Parts, name: string): string => {
  const value = parts[name];
  return typeof value === "string" ? value : "";
};
const file = (parts: Parts, name: string): Buffer | undefined => {
  const value = parts[name];
  return Buffer.isBuffer(value) && value.length > 0 ? value : undefined;
};

class FormProblem extends Error {}

/**
 * Service 2 on the portal: /voicemail (the INBOX), /voicemail/signature (see, store and remove
 * the signature attached to every voice message the user sends; the voice clip and the image are
 * served to the page) and /voicemail/send (a pre-recorded voice message to any mailboxes, sent as
 * the logged-in user so that their signature goes with it). The two upload forms are multipart.
 */
export function voicemailPages(app: FastifyInstance, kit: PortalKit): void {
  const { options, access } = kit;
  const member = access.require("member");
  const unavailable = (request: FastifyRequest, reply: FastifyReply) =>
    kit.fail(request, reply, 503, "Not available", "Voicemail is not available right now.");
  const running = (): PortalVoicemail | undefined => options.voicemail?.();
  const userOf = (request: FastifyRequest) => request.portalViewer?.user ?? "";

  const signatureView = async (vm: PortalVoicemail, user: string): Promise<SignatureView> => {
    const signature = await vm.signatures.get(user);
    return {
      ...(signature?.text !== undefined && { text: signature.text }),
      hasVoice: signature?.voice !== undefined,
      ...(signature?.image !== undefined && { image: signature.image.contentType }),
    };
  };

  app.get("/voicemail", { preHandler: member }, async (request, reply) => {
    const vm = running();
    if (!vm) return unavailable(request, reply);
    const user = userOf(request);
    const messages = await vm.store.messages(user, "INBOX");
    const live = messages.filter((m) => !m.flags.includes("\\Deleted"));
    const entries: InboxEntry[] = [];
    for (const message of live.slice(-INBOX_PAGE).reverse()) {
      const source = await vm.store.source(user, "INBOX", message.uid);
      const parsed = source ? await parseVoiceMessage(source).catch(() => undefined) : undefined;
      const signature = parsed?.signature;
      entries.push({
        uid: message.uid,
        date: (parsed?.date ?? message.internalDate).getTime(),
        from:
          [parsed?.callerName, parsed?.callerId ?? parsed?.from?.address].filter(Boolean).join(" · ") ||
          "Unknown caller",
        ...(parsed?.durationSeconds !== undefined && { durationSeconds: parsed.durationSeconds }),
        urgent: message.flags.includes("\\Flagged") || parsed?.urgent === true,
        heard: message.flags.includes("\\Seen"),
        signature: [
          ...(signature?.text !== undefined ? ["text"] : []),
          ...(signature?.voice !== undefined ? ["voice"] : []),
          ...(signature?.image !== undefined ? ["image"] : []),
        ],
      });
    }
    return kit.send(reply, 200, inboxPage(kit.context(request), entries, live.length));
  });

  app.get<{ Querystring: { saved?: string; removed?: string } }>(
    "/voicemail/signature",
    { schema: { querystring: NoticeQuery }, preHandler: member },
    async (request, reply) => {
      const vm = running();
      if (!vm) return unavailable(request, reply);
      const view = await signatureView(vm, userOf(request));
      const notices = { saved: request.query.saved === "1", removed: request.query.removed === "1" };
      return kit.send(reply, 200, signaturePage(kit.context(request), { ...view, ...notices }));
    },
  );

  app.get("/voicemail/signature/voice.wav", { preHandler: member }, async (request, reply) => {
    const vm = running();
    if (!vm) return unavailable(request, reply);
    const voice = (await vm.signatures.get(userOf(request)))?.voice;
    if (!voice) return kit.fail(request, reply, 404, "Not found", "Your signature has no voice clip.");
    return reply.header("cache-control", "no-store").type("audio/wav").send(voice);
  });

  app.get("/voicemail/signature/image", { preHandler: member }, async (request, reply) => {
    const vm = running();
    if (!vm) return unavailable(request, reply);
    const image = (await vm.signatures.get(userOf(request)))?.image;
    if (!image) return kit.fail(request, reply, 404, "Not found", "Your signature has no image.");
    return reply.header("cache-control", "no-store").type(image.contentType).send(image.data);
  });

  app.post("/voicemail/signature/remove", { preHandler: member }, async (request, reply) => {
    const vm = running();
    if (!vm) return unavailable(request, reply);
    await vm.signatures.remove(userOf(request));
    return reply.redirect("/voicemail/signature?removed=1", 303);
  });

  app.get("/voicemail/send", { preHandler: member }, async (request, reply) => {
    if (!running()) return unavailable(request, reply);
    return kit.send(reply, 200, sendPage(kit.context(request), { recipients: "", urgent: false }));
  });

  uploadScope(app, kit, (scope) => {
    scope.post(
      "/voicemail/signature",
      { config: { csrfAfterParts: true }, preHandler: member },
      async (request, reply) => {
        const vm = running();
        if (!vm) return unavailable(request, reply);
        const user = userOf(request);
        const parts = (request.body ?? {}) as Parts;
        const stored = (await vm.signatures.get(user)) ?? {};
        const next: Signature = {};
        try {
          const typed = text(parts, "text").trim();
          if (typed.length > 2000) throw new FormProblem("The text may be at most 2000 characters.");
          if (typed !== "") next.text = typed;
          const voice = file(parts, "voice");
          if (voice) next.voice = await narrowband(voice, 30, "The voice clip");
          else if (stored.voice && text(parts, "dropVoice") !== "on") next.voice = stored.voice;
          const image = file(parts, "image");
          if (image) {
            const contentType = imageTypeOf(image);
            if (!contentType) throw new FormProblem("The image must be a PNG or JPEG file.");
            next.image = { data: image, contentType };
          } else if (stored.image && text(parts, "dropImage") !== "on") next.image = stored.image;
          if (next.text === undefined && next.voice === undefined && next.image === undefined)
            throw new FormProblem("A signature needs a text, a voice clip or an image.");
        } catch (error) {
          if (!(error instanceof FormProblem)) throw error;
          const view = await signatureView(vm, user);
          return kit.send(reply, 400, signaturePage(kit.context(request), { ...view, error: error.message }));
        }
        await vm.signatures.put(user, next);
        request.log.info(
          {
            user,
            text: next.text !== undefined,
            voice: next.voice !== undefined,
            image: next.image !== undefined,
          },
          "signature stored on the portal",
        );
        return reply.redirect("/voicemail/signature?saved=1", 303);
      },
    );

    scope.post(
      "/voicemail/send",
      { config: { csrfAfterParts: true }, preHandler: member },
      async (request, reply) => {
        const vm = running();
        if (!vm) return unavailable(request, reply);
        const user = userOf(request);
        const parts = (request.body ?? {}) as Parts;
        const typed = text(parts, "recipients").slice(0, 4000);
        const urgent = text(parts, "urgent") === "on";
        const again = (error: string) =>
          kit.send(reply, 400, sendPage(kit.context(request), { recipients: typed, urgent, error }));
        try {
          const recipients = parseRecipients(typed, user);
          const upload = file(parts, "audio");
          if (!upload) throw new FormProblem("Choose a recording (a WAV or MP3 file) to send.");
          const audio = await narrowband(upload, 600, "The recording");
          const report = await vm.service.delivery.send({
            sender: { user, address: user },
            recipients,
            callerId: user.slice(0, user.lastIndexOf("@")),
            audio,
            durationSeconds: Math.max(1, Math.round((audio.length - 44) / 16_000)),
            urgent,
            date: new Date(options.clock.now()),
          });
          request.log.info({ user, messageId: report.messageId }, "voice message sent from the portal");
          return kit.send(
            reply,
            200,
            sendPage(kit.context(request), { recipients: "", urgent: false, report }),
          );
        } catch (error) {
          if (error instanceof FormProblem) return again(error.message);
          throw error;
        }
      },
    );
  });
}

/** The typed recipients, lower-cased; a bare extension is in the sender's domain. */
export function parseRecipients(typed: string, sender: string): string[] {
  const domain = sender.slice(sender.lastIndexOf("@") + 1);
  const names = typed
    .split(/[,;\s]+/)
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== "");
  if (names.length === 0) throw new FormProblem("Enter at least one mailbox.");
  if (names.length > MAX_RECIPIENTS) throw new FormProblem(`Send to at most ${MAX_RECIPIENTS} mailboxes.`);
  const recipients = names.map((name) => (name.includes("@") ? name : `${name}@${domain}`));
  const wrong = recipients.find((address) => !MAILBOX.test(address));
  if (wrong !== undefined) throw new FormProblem(`"${wrong}" is not a mailbox (extension@domain).`);
  return [...new Set(recipients)];
}

/** An uploaded WAV or MP3 as 8 kHz mono WAV, or a problem the form shows. */
async function narrowband(data: Buffer, maxSeconds: number, what: string): Promise<Buffer> {
  const type = audioTypeOf(data);
  if (!type) throw new FormProblem(`${what} must be a WAV or MP3 file.`);
  return toNarrowbandWav(data, type, { maxSeconds }).catch((error: unknown) => {
    throw new FormProblem(`${what} cannot be used: ${(error as Error).message}.`);
  });
}
