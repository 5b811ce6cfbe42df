#!/usr/bin/env node
// Portico runs from its TypeScript sources through tsx, so a clean clone needs no build step.
import { register } from "tsx/esm/api";

register();
await import("../src/main.ts");
