import Type from "typebox";
import { section } from "./schema-parts.ts";

/** Configuration of service 5, emergency calls (defaults live here). */
export const EmergencySection = section(
  {
    busy_callee: Type.Union([Type.Literal("preempt"), Type.Literal("second-call")], {
      default: "preempt",
      description:
        "A bound user busy on a call of lower priority: preempt ends that call first (RFC 4411; the other party hears preemption_announcement); second-call rings the phone anyway as a second call, for phones that take over by themselves.",
    }),
    preemption_announcement: Type.String({
      minLength: 1,
      default: "call-preempted",
      description:
        "What the other party of a preempted call hears before its BYE: a prompt name, or the path of an 8 kHz mono WAV file.",
    }),
    retry_delay: Type.Integer({
      minimum: 0,
      maximum: 300,
      default: 5,
      description: "Seconds before a bound user who did not answer (or was busy) is rung again.",
    }),
  },
  "Emergency calls (service 5): Alert-Info, preemption, dynamic conferences; numbers are [[emergency_numbers]] tables or set through the API.",
);

/** One emergency number of the config file, an entry of the `[[emergency_numbers]]` array. */
export const EmergencyNumberEntry = Type.Object(
  {
    number: Type.String({
      pattern: "^[0-9*#+]{1,32}$",
      description: "The routing-point number callers dial (digits, *, #, +), e.g. 112.",
    }),
    label: Type.String({ default: "", maxLength: 100, description: "A name for admins." }),
    users: Type.Array(Type.String({ pattern: "^[A-Za-z0-9._+-]{1,64}(@[A-Za-z0-9.-]{1,253})?$" }), {
      minItems: 1,
      maxItems: 50,
      description:
        "Bound users, extension or extension@domain, in order; one user is called directly, several are called into a conference.",
    }),
    priority: Type.Integer({
      minimum: 1,
      maximum: 9,
      default: 1,
      description:
        "Precedence 1–9: a busy user's call is preempted only when its priority is lower (ordinary calls 0).",
    }),
    record: Type.Boolean({ default: false, description: "Record every call to this number." }),
    announcement: Type.Boolean({
      default: true,
      description: "Tell the caller what happens (a prompt) before the bound users are connected.",
    }),
    ring_timeout: Type.Integer({
      minimum: 5,
      maximum: 300,
      default: 30,
      description: "Seconds each bound user's phones ring.",
    }),
    retries: Type.Integer({
      minimum: 0,
      maximum: 5,
      default: 1,
      description: "How many more times a bound user who did not answer is rung.",
    }),
    resource_priority: Type.String({
      pattern: "^[A-Za-z0-9-]+\\.[A-Za-z0-9-]+$",
      default: "esnet.0",
      description: "RFC 4412 Resource-Priority on the INVITEs (namespace.priority).",
    }),
  },
  { additionalProperties: false },
);

/** One phone model's vendor form of the emergency Alert-Info, an entry of the `[[phone_profiles]]` array. */
export const PhoneProfileEntry = Type.Object(
  {
    name: Type.String({ pattern: "^[A-Za-z0-9_-]{1,32}$", description: "Short name, in logs." }),
    user_agent: Type.String({
      default: "",
      description:
        "Text found in the User-Agent of the phone's REGISTER (case-insensitive); empty matches by users only.",
    }),
    users: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      description:
        "Users (extension or extension@domain) whose phones all get this profile, set by the admin.",
    }),
    alert_info: Type.String({
      minLength: 1,
      description:
        'The Alert-Info this model maps to a ring tone, sent before <urn:alert:service:emergency>, e.g. "<http://localhost/>;info=alert-emergency".',
    }),
  },
  { additionalProperties: false },
);
