export { HttpError } from "./errors.ts";
export { buildHttpServer, type HttpServerOptions } from "./http-server.ts";
