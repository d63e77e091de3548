export { type OpenedDirectory, openDirectory } from "./open-directory.ts";
export { openApiDocument } from "./openapi-document.ts";
export { ParleyNode, type ParleyNodeOptions, type ParleyNodeState } from "./parley-node.ts";
export { PARLEY_VERSION } from "./version.ts";
