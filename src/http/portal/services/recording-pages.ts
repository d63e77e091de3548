import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import Type from "typebox";
import {
  DEFAULT_SUBSCRIPTION,
  type RecordingPolicy,
  type RecordingSubscription,
} from "../../../services/recording/index.ts";
import { html, type SafeHtml } from "../html.ts";
import { type PortalKit, splitAccount } from "../portal-kit.ts";
import { csrfField, type PageContext, page } from "../views/layout.ts";
import type { PortalRecording } from "./service-ports.ts";

const POLICIES: ReadonlyArray<{ value: RecordingPolicy; text: string }> = [
  { value: "both", text: "Calls made and received" },
  { value: "outgoing", text: "Calls made" },
  { value: "incoming", text: "Calls received" },
];
const policyText = (policy: RecordingPolicy) => POLICIES.find((p) => p.value === policy)?.text ?? policy;

const UserParams = Type.Object({ user: Type.String({ minLength: 1, maxLength: 320 }) });
const PickQuery = Type.Object({ user: Type.Optional(Type.String({ maxLength: 320 })) });
const SaveBody = Type.Object({
  enabled: Type.Optional(Type.String({ maxLength: 10 })),
  policy: Type.Union(POLICIES.map((p) => Type.Literal(p.value))),
  announce: Type.Optional(Type.String({ maxLength: 10 })),
  _csrf: Type.Optional(Type.String()),
});
const SavedQuery = Type.Object({ saved: Type.Optional(Type.String({ maxLength: 2 })) });

export interface RecordingView {
  user: string;
  enabled: boolean;
  subscription: RecordingSubscription;
}

const userUrl = (user: string) => `/recording/${encodeURIComponent(user)}`;

function facts(view: RecordingView): SafeHtml {
  return html`<dl class="facts" id="subscription">
  <dt>Account</dt><dd>${view.user}</dd>
  <dt>Automatic recording</dt><dd id="recording-enabled">${view.enabled ? "On" : "Off"}</dd>
  <dt>Which calls</dt><dd id="recording-policy">${policyText(view.subscription.policy)}</dd>
  <dt>Announcement</dt><dd id="recording-announce">${
    view.subscription.announce ? "Both parties hear that the call is recorded" : "None"
  }</dd>
</dl>`;
}

/** The user's own subscription, read-only; admins also get a box to open anyone's. */
export function ownRecordingPage(context: PageContext, view: RecordingView, admin: boolean): string {
  return page(
    context,
    { title: "Call recording", section: "recording" },
    html`<h1>Call recording</h1>
${facts(view)}
<p class="hint">Your recording subscription is set by an administrator.</p>
${
  admin
    ? html`<h2>Change a user's subscription</h2>
<form method="get" action="/recording" class="search">
  <div class="field">
    <label for="pick-user">User</label>
    <input id="pick-user" name="user" type="text" required autocapitalize="none" spellcheck="false"
      aria-describedby="pick-user-hint">
    <p class="hint" id="pick-user-hint">An extension, or extension@domain</p>
  </div>
  <button type="submit">Open</button>
</form>
<p><a href="${userUrl(view.user)}">Change your own subscription</a></p>`
    : ""
}`,
  );
}

/** The admin's form for one user's subscription. */
export function editRecordingPage(context: PageContext, view: RecordingView, saved: boolean): string {
  const checked = (on: boolean) => (on ? html` checked` : "");
  return page(
    context,
    { title: `Recording of ${view.user}`, section: "recording" },
    html`<h1>Recording of ${view.user}</h1>
${saved ? html`<p class="notice" role="status">Saved.</p>` : ""}
${facts(view)}
<form method="post" action="${userUrl(view.user)}" class="stack">
  ${csrfField(context)}
  <div class="choice">
    <input id="enabled" name="enabled" type="checkbox" value="on"${checked(view.enabled)}>
    <label for="enabled">Record this user's calls automatically</label>
  </div>
  <div class="field">
    <label for="policy">Which calls</label>
    <select id="policy" name="policy">
      ${POLICIES.map((p) =>
        p.value === view.subscription.policy
          ? html`<option value="${p.value}" selected>${p.text}</option>`
          : html`<option value="${p.value}">${p.text}</option>`,
      )}
    </select>
  </div>
  <div class="choice">
    <input id="announce" name="announce" type="checkbox" value="on"${checked(view.subscription.announce)}>
    <label for="announce">Announce the recording to both parties</label>
  </div>
  <button type="submit">Save</button>
</form>
<p><a href="/recording">Back</a></p>`,
  );
}

/**
 * Service 1 on the portal: /recording shows the logged-in user's recording subscription
 * (the `recording` feature flag, which calls, the announcement); admins change anyone's at
 * /recording/:user (the flag through the directory, the rest through RecordingSubscriptions).
 */
export function recordingPages(app: FastifyInstance, kit: PortalKit): void {
  const { options, access } = kit;
  const member = access.require("member");
  const admin = access.require("admin");
  const unavailable = (request: FastifyRequest, reply: FastifyReply) =>
    kit.fail(request, reply, 503, "Not available", "Call recording is not available right now.");
  const noUser = (request: FastifyRequest, reply: FastifyReply) =>
    kit.fail(request, reply, 404, "Not found", "There is no such user.");

  /** The user (extension@domain, or an extension in the default domain) with their subscription. */
  const load = async (recording: PortalRecording, account: string) => {
    const { extension, domain } = splitAccount(account.trim());
    if (extension === "" || domain === "") return undefined;
    const found = await recording.directory.findUser(extension, domain).catch(() => undefined);
    if (!found) return undefined;
    const name = domain ?? (await options.directory.domain()).name.toLowerCase();
    const user = `${found.extension}@${name}`.toLowerCase();
    const subscription = (await recording.subscriptions.get(user)) ?? DEFAULT_SUBSCRIPTION;
    return {
      id: found.id,
      view: {
        user,
        enabled: found.features.recording,
        subscription: { policy: subscription.policy, announce: subscription.announce },
      },
    };
  };

  app.get<{ Querystring: { user?: string } }>(
    "/recording",
    { schema: { querystring: PickQuery }, preHandler: member },
    async (request, reply) => {
      const viewer = request.portalViewer;
      const recording = options.recording;
      if (!viewer) return noUser(request, reply);
      if (!recording) return unavailable(request, reply);
      const isAdmin = viewer.roles.has("admin");
      const picked = request.query.user?.trim();
      if (picked && isAdmin) return reply.redirect(userUrl(picked), 303);
      const own = await load(recording, viewer.user);
      if (!own) return noUser(request, reply);
      return kit.send(reply, 200, ownRecordingPage(kit.context(request), own.view, isAdmin));
    },
  );

  app.get<{ Params: { user: string }; Querystring: { saved?: string } }>(
    "/recording/:user",
    { schema: { params: UserParams, querystring: SavedQuery }, preHandler: admin },
    async (request, reply) => {
      const recording = options.recording;
      if (!recording) return unavailable(request, reply);
      const found = await load(recording, request.params.user);
      if (!found) return noUser(request, reply);
      const saved = request.query.saved === "1";
      return kit.send(reply, 200, editRecordingPage(kit.context(request), found.view, saved));
    },
  );

  app.post<{
    Params: { user: string };
    Body: { enabled?: string; policy: RecordingPolicy; announce?: string };
  }>(
    "/recording/:user",
    { schema: { params: UserParams, body: SaveBody }, preHandler: admin },
    async (request, reply) => {
      const recording = options.recording;
      if (!recording) return unavailable(request, reply);
      const found = await load(recording, request.params.user);
      if (!found) return noUser(request, reply);
      const enabled = request.body.enabled === "on";
      const { user } = found.view;
      await recording.subscriptions.set(user, {
        policy: request.body.policy,
        announce: request.body.announce === "on",
      });
      if (found.view.enabled !== enabled)
        await recording.directory.updateUser(found.id, { features: { recording: enabled } });
      request.log.info(
        { user, by: request.portalViewer?.user, enabled, policy: request.body.policy },
        "recording subscription set on the portal",
      );
      return reply.redirect(`${userUrl(user)}?saved=1`, 303);
    },
  );
}
