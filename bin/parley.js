#!/usr/bin/env node
// Runs Parley's TypeScript sources directly (tsx registers the loader), so `npm install` needs no
// build step and stack traces point at the .ts files.
import { register } from "tsx/esm/api";

register();
await import("../src/main.ts");
