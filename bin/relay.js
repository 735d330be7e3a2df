#!/usr/bin/env node
// `relay` from a checkout or an install: runs src/main.ts through tsx, so there is no build step.
import { register } from "tsx/esm/api";

register();
await import("../src/main.ts");
