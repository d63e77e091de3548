import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import Type from "typebox";
import { HttpError } from "../errors.ts";
import { errorResponses } from "../schemas.ts";

/** What the API needs of the recording service to control a call's recording and follow events. */
export interface CallRecordingControl {
  status(callId: string): { recording: boolean; paused: boolean; id?: string };
  start(callId: string): Promise<boolean>;
  stop(callId: string): boolean;
  pause(callId: string): boolean;
  resume(callId: string): boolean;
  on(
    event: "event",
    listener: (event: { type: "saved" | "failed"; recording: { id: string } }) => void,
  ): unknown;
  off(
    event: "event",
    listener: (event: { type: "saved" | "failed"; recording: { id: string } }) => void,
  ): unknown;
}

export interface CallRecordingRoutesOptions {
  /** The recording service, once the node runs (503 before). */
  recording: () => CallRecordingControl | undefined;
  /** Whether a call with this id is in progress. */
  callExists: (id: string) => boolean;
}

const Status = Type.Object(
  {
    recording: Type.Boolean(),
    paused: Type.Boolean(),
    id: Type.Optional(Type.String({ description: "The recording's id, while one runs." })),
  },
  { description: "Whether the call is being recorded, and whether that recording is paused." },
);

/**
 * Recording control for calls in progress (issue 6: pause/resume over the API) and the feed of
 * recording events as server-sent events, the same events the webhook gets.
 */
export const callRecordingRoutes: FastifyPluginAsyncTypebox<CallRecordingRoutesOptions> = async (
  app,
  options,
) => {
  const control = (): CallRecordingControl => {
    const recording = options.recording();
    if (!recording) throw new HttpError("HTTP_UNAVAILABLE", "the recording service is not running");
    return recording;
  };
  const known = (id: string) => {
    if (!options.callExists(id)) throw new HttpError("CALL_NOT_FOUND", `no call ${id} in progress`);
  };

  app.get(
    "/calls/:id/recording",
    {
      schema: {
        tags: ["calls"],
        summary: "Whether a call in progress is being recorded",
        params: Type.Object({ id: Type.String() }),
        response: { 200: Status, ...errorResponses(401, 403, 404, 503) },
      },
    },
    async (request) => {
      known(request.params.id);
      return control().status(request.params.id);
    },
  );

  app.post(
    "/calls/:id/recording",
    {
      schema: {
        tags: ["calls"],
        summary: "Start, stop, pause or resume a call's recording",
        description:
          "start records a connected call on demand; pause writes silence or skips (recording.pause_mode); 409 when the call has no recording to stop, pause or resume, or is not connected yet.",
        params: Type.Object({ id: Type.String() }),
        body: Type.Object({
          action: Type.Union([
            Type.Literal("start"),
            Type.Literal("stop"),
            Type.Literal("pause"),
            Type.Literal("resume"),
          ]),
        }),
        response: { 200: Status, ...errorResponses(400, 401, 403, 404, 409, 503) },
      },
    },
    async (request) => {
      const { id } = request.params;
      known(id);
      const recording = control();
      const action = request.body.action;
      const done =
        action === "start"
          ? await recording.start(id)
          : action === "stop"
            ? recording.stop(id)
            : action === "pause"
              ? recording.pause(id)
              : recording.resume(id);
      if (!done)
        throw new HttpError("RECORDING_CONFLICT", `cannot ${action} the recording of call ${id} now`);
      return recording.status(id);
    },
  );

  app.get(
    "/recordings/events",
    {
      schema: {
        tags: ["recordings"],
        summary: "Recording events as server-sent events",
        description:
          "text/event-stream: one event per recording that ends, `recording.saved` or `recording.failed`, data = the recording as JSON (the webhook's body). The stream stays open until the client leaves.",
        response: { ...errorResponses(401, 403, 503) },
      },
    },
    async (request, reply) => {
      const recording = control();
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        "content-type": "text/event-stream",
        "cache-control": "no-cache",
        connection: "keep-alive",
        "x-request-id": request.id,
      });
      raw.write(": recording events\n\n");
      const listener = (event: { type: "saved" | "failed"; recording: { id: string } }) => {
        raw.write(
          `id: ${event.recording.id}\nevent: recording.${event.type}\ndata: ${JSON.stringify(event.recording)}\n\n`,
        );
      };
      recording.on("event", listener);
      request.raw.on("close", () => {
        recording.off("event", listener);
        raw.end();
      });
    },
  );
};
