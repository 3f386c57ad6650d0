#!/usr/bin/env node
// Launcher for the `tabula` command: runs the TypeScript sources through tsx,
// so the command works straight after `npm ci` with no build step.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../cli.ts");
process.exitCode = await main(process.argv.slice(2));
