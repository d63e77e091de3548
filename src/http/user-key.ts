import type { FastifyRequest } from "fastify";
import type { SubscriberDirectory } from "../directory/index.ts";
import { HttpError } from "./errors.ts";
import { callerOf } from "./plugins/bearer-auth.ts";

/** A user named in a path by id or by extension@domain, as extension@domain (404 when unknown). */
export async function userKey(directory: SubscriberDirectory, id: string): Promise<string> {
  const at = id.indexOf("@");
  if (at > 0) {
    const user = await directory
      .findUser(id.slice(0, at), id.slice(at + 1).toLowerCase())
      .catch(() => undefined);
    if (!user) throw new HttpError("HTTP_NOT_FOUND", `no user ${id}`);
    return id.toLowerCase();
  }
  return (await directory.getUserWithDomain(id)).key.toLowerCase();
}

/** The path's user as extension@domain, when the request's token may reach them (admins: all; users: themselves). */
export async function reachableUser(
  directory: SubscriberDirectory,
  request: FastifyRequest,
  id: string,
): Promise<string> {
  const caller = callerOf(request);
  const key = await userKey(directory, id);
  if (!caller.admin && key !== caller.user)
    throw new HttpError("HTTP_FORBIDDEN", `a user token reaches only its own user (${caller.user})`);
  return key;
}
