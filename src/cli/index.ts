export { buildProgram, type ProgramIo } from "./program.ts";
export { EXIT_CONFIG, runCli } from "./run.ts";
