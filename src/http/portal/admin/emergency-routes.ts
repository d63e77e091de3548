import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import Type from "typebox";
import type { EmergencyNumber } from "../../../services/emergency/index.ts";
import {
  EMERGENCY_NUMBER_PATTERN,
  EMERGENCY_USER_PATTERN,
  RESOURCE_PRIORITY_PATTERN,
} from "../../schemas.ts";
import { type PortalKit, splitAccount } from "../portal-kit.ts";
import type { PortalEmergency } from "../services/service-ports.ts";
import { type Form, FormBody, failureOf, field } from "./admin-kit.ts";
import {
  EMPTY_NUMBER_FORM,
  type EmergencyNumberForm,
  type EmergencyPageView,
  emergencyCallPage,
  emergencyPage,
  formOfNumber,
} from "./emergency-views.ts";

const NUMBER = new RegExp(EMERGENCY_NUMBER_PATTERN);
const USER = new RegExp(EMERGENCY_USER_PATTERN);
const RESOURCE_PRIORITY = new RegExp(RESOURCE_PRIORITY_PATTERN);
const AUDIT_SHOWN = 1000;
const Id = Type.String({ minLength: 1, maxLength: 128 });
const CallParams = Type.Object({ callId: Id });
const PartyParams = Type.Object({ callId: Id, partyId: Id });
const Notice = Type.Optional(Type.String({ maxLength: 320 }));
const PageQuery = Type.Object({
  edit: Type.Optional(Type.String({ maxLength: 32 })),
  saved: Notice,
  removed: Notice,
  ringing: Notice,
  muted: Notice,
  unmuted: Notice,
  kicked: Notice,
});
type PageQuery = { edit?: string } & Partial<Record<keyof typeof NOTICES, string>>;

/** The status line after each action, by the query parameter the action redirects with. */
const NOTICES = {
  saved: (v: string) => `Emergency number ${v} saved.`,
  removed: (v: string) => `Emergency number ${v} removed.`,
  ringing: (v: string) => `Ringing ${v} into the room; they join when they answer.`,
  muted: (v: string) => `${v} is muted.`,
  unmuted: (v: string) => `${v} is no longer muted.`,
  kicked: (v: string) => `${v} was hung up.`,
} as const;

export function readNumberForm(body: Form): EmergencyNumberForm {
  return {
    number: field(body, "number"),
    label: field(body, "label"),
    users: field(body, "users"),
    priority: field(body, "priority"),
    ringTimeout: field(body, "ringTimeout"),
    retries: field(body, "retries"),
    resourcePriority: field(body, "resourcePriority"),
    record: field(body, "record") === "1",
    announcement: field(body, "announcement") === "1",
  };
}

/** A whole number from `min` to `max` ("" gives `fallback`), or undefined. */
function whole(text: string, min: number, max: number, fallback: number): number | undefined {
  if (text === "") return fallback;
  if (!/^[0-9]{1,4}$/.test(text)) return undefined;
  const n = Number(text);
  return n >= min && n <= max ? n : undefined;
}

/** The number the form describes, or the first thing wrong with it (in words for the admin). */
export function numberOfForm(
  form: EmergencyNumberForm,
): { entry: Omit<EmergencyNumber, "source"> } | { error: string } {
  if (!NUMBER.test(form.number)) return { error: "The number is 1 to 32 digits, *, # or +." };
  if (form.label.length > 100) return { error: "The label is at most 100 characters." };
  const users = form.users.split(/[\s,;]+/).filter((u) => u !== "");
  if (users.length === 0 || users.length > 50) return { error: "Give 1 to 50 users." };
  const bad = users.find((u) => !USER.test(u));
  if (bad !== undefined) return { error: `${bad} is not an extension or extension@domain.` };
  const priority = whole(form.priority, 1, 9, 1);
  if (priority === undefined) return { error: "The priority is a whole number from 1 to 9." };
  const ringTimeout = whole(form.ringTimeout, 5, 300, 30);
  if (ringTimeout === undefined) return { error: "The ring timeout is 5 to 300 seconds." };
  const retries = whole(form.retries, 0, 5, 1);
  if (retries === undefined) return { error: "Retries are a whole number from 0 to 5." };
  const resourcePriority = form.resourcePriority || "esnet.0";
  if (!RESOURCE_PRIORITY.test(resourcePriority))
    return { error: "Resource-Priority is namespace.value, such as esnet.0." };
  return {
    entry: {
      number: form.number,
      label: form.label,
      users,
      priority,
      record: form.record,
      announcement: form.announcement,
      ringTimeout,
      retries,
      resourcePriority,
    },
  };
}

/** The status and message of a refusal from the emergency service, undefined for anything else. */
function refusalOf(error: unknown): { status: number; message: string } | undefined {
  const failure = failureOf(error);
  if (failure?.code !== "EMERGENCY_NUMBER_REFUSED") return undefined;
  const status = (error as { status?: unknown }).status;
  return { status: typeof status === "number" ? status : 400, message: failure.message };
}

/**
 * Service 5 for admins: GET /admin/emergency (numbers, with the config file's marked read-only,
 * a form to add, change and remove the others; emergency calls in progress with their
 * participants, mute/unmute and hang-up buttons and a form to ring another user into the room),
 * and GET /admin/emergency/calls/:callId (one call's audit trail, also after it ended). Every
 * form posts with the session's CSRF token, checked by the portal's hook.
 */
export function emergencyAdminRoutes(app: FastifyInstance, kit: PortalKit): void {
  const available = async (request: FastifyRequest, reply: FastifyReply) => {
    if (kit.options.emergency?.()) return;
    return kit.fail(request, reply, 503, "Not available", "Emergency calls are not available on this node.");
  };
  const guard = [kit.access.require("admin"), available];
  /** The service; only called behind the guard. */
  const service = (): PortalEmergency => {
    const found = kit.options.emergency?.();
    if (!found) throw new Error("the emergency port is missing (the guard was skipped)");
    return found;
  };
  const render = (
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    view: Partial<EmergencyPageView> = {},
  ) => {
    const emergency = service();
    return kit.send(
      reply,
      status,
      emergencyPage(kit.context(request), {
        numbers: emergency.numbers(),
        calls: emergency.calls(),
        form: EMPTY_NUMBER_FORM,
        editing: false,
        ...view,
      }),
    );
  };
  /** Runs a call action; a refusal shows the page again with its message and status. */
  const act = async (
    request: FastifyRequest,
    reply: FastifyReply,
    action: () => void | Promise<void>,
    done: string,
  ) => {
    try {
      await action();
    } catch (error) {
      const refusal = refusalOf(error);
      if (!refusal) throw error;
      return render(request, reply, refusal.status, { error: refusal.message });
    }
    request.log.info({ admin: request.portalViewer?.user, done }, "portal admin acted on an emergency call");
    return reply.redirect(`/admin/emergency?${done}`, 303);
  };
  const nameOf = (callId: string, partyId: string) =>
    service()
      .call(callId)
      ?.participants.find((p) => p.partyId === partyId)?.user ?? partyId;

  app.get<{ Querystring: PageQuery }>(
    "/admin/emergency",
    { schema: { querystring: PageQuery }, preHandler: guard },
    async (request, reply) => {
      const { edit, ...notices } = request.query;
      const notice = (Object.keys(NOTICES) as Array<keyof typeof NOTICES>)
        .filter((key) => notices[key] !== undefined)
        .map((key) => NOTICES[key](notices[key] as string))
        .join(" ");
      const editing = edit === undefined ? undefined : service().number(edit);
      if (edit !== undefined && editing?.source !== "admin")
        return render(request, reply, editing ? 409 : 404, {
          error: editing
            ? `${edit} is set in the config file; change it there.`
            : `There is no emergency number ${edit}.`,
        });
      return render(request, reply, 200, {
        ...(notice && { notice }),
        ...(editing && { form: formOfNumber(editing), editing: true }),
      });
    },
  );

  app.post<{ Body: Form }>(
    "/admin/emergency/numbers",
    { schema: { body: FormBody }, preHandler: guard },
    async (request, reply) => {
      const typed = readNumberForm(request.body);
      const editing = field(request.body, "editing") === "1";
      const result = numberOfForm(typed);
      if ("error" in result)
        return render(request, reply, 400, { form: typed, editing, error: result.error });
      try {
        await service().saveNumber(result.entry);
      } catch (error) {
        const refusal = refusalOf(error);
        if (!refusal) throw error;
        return render(request, reply, refusal.status, { form: typed, editing, error: refusal.message });
      }
      request.log.info(
        { number: result.entry.number, users: result.entry.users, admin: request.portalViewer?.user },
        "portal admin saved an emergency number",
      );
      return reply.redirect(`/admin/emergency?saved=${encodeURIComponent(result.entry.number)}`, 303);
    },
  );

  app.post<{ Body: Form }>(
    "/admin/emergency/numbers/remove",
    { schema: { body: FormBody }, preHandler: guard },
    async (request, reply) => {
      const number = field(request.body, "number");
      return act(
        request,
        reply,
        () => service().removeNumber(number),
        `removed=${encodeURIComponent(number)}`,
      );
    },
  );

  app.post<{ Params: { callId: string }; Body: Form }>(
    "/admin/emergency/calls/:callId/participants",
    { schema: { params: CallParams, body: FormBody }, preHandler: guard },
    async (request, reply) => {
      const { callId } = request.params;
      const user = field(request.body, "user");
      if (!USER.test(user))
        return render(request, reply, 400, { error: "Enter the user as an extension or extension@domain." });
      const { extension, domain } = splitAccount(user);
      const known = await kit.options.directory.findUser(extension, domain).catch(() => undefined);
      if (!known) return render(request, reply, 422, { error: `There is no user ${user}.` });
      return act(
        request,
        reply,
        () => service().addParticipant(callId, user),
        `ringing=${encodeURIComponent(user)}`,
      );
    },
  );

  app.post<{ Params: { callId: string; partyId: string }; Body: Form }>(
    "/admin/emergency/calls/:callId/participants/:partyId/mute",
    { schema: { params: PartyParams, body: FormBody }, preHandler: guard },
    async (request, reply) => {
      const { callId, partyId } = request.params;
      const muted = field(request.body, "muted") !== "0";
      const who = nameOf(callId, partyId);
      return act(
        request,
        reply,
        () => service().setMuted(callId, partyId, muted),
        `${muted ? "muted" : "unmuted"}=${encodeURIComponent(who)}`,
      );
    },
  );

  app.post<{ Params: { callId: string; partyId: string }; Body: Form }>(
    "/admin/emergency/calls/:callId/participants/:partyId/kick",
    { schema: { params: PartyParams, body: FormBody }, preHandler: guard },
    async (request, reply) => {
      const { callId, partyId } = request.params;
      const who = nameOf(callId, partyId);
      return act(request, reply, () => service().kick(callId, partyId), `kicked=${encodeURIComponent(who)}`);
    },
  );

  app.get<{ Params: { callId: string } }>(
    "/admin/emergency/calls/:callId",
    { schema: { params: CallParams }, preHandler: guard },
    async (request, reply) => {
      const { callId } = request.params;
      const emergency = service();
      const entries = await emergency.audit({ callId, limit: AUDIT_SHOWN });
      const call = emergency.call(callId);
      if (entries.length === 0 && !call)
        return kit.fail(request, reply, 404, "Not found", "There is no such emergency call.");
      return kit.send(reply, 200, emergencyCallPage(kit.context(request), { callId, call, entries }));
    },
  );
}
