// Every message that crosses a transport is checked here before a service
// sees it: the wire envelope (WebSocket) and each method's arguments (both
// transports). A malformed message gets one sentence naming the field, never
// an exception in the server.
import { z } from "zod";
import {
  API_METHODS,
  type ApiArgs,
  type ApiMethod,
} from "../../shared/api/contract";
import type { PhaseName } from "../../shared/plan/types";

const PHASES = [
  "install",
  "prepare",
  "migrate",
  "bootloader",
  "recover",
  "revert",
] as const satisfies readonly PhaseName[];

/** Largest text accepted in one terminalInput (a paste). */
export const MAX_TERMINAL_INPUT = 1 << 20;

const none = z.strictObject({});
const present = z.unknown(); // required key, any JSON value (checked by the service)
const name = z.string().min(1).max(1024);
const id = z.string().min(1).max(200);
const cols = z.int().min(2).max(1000);
const rows = z.int().min(1).max(1000);

export const argSchemas: { [M in ApiMethod]: z.ZodType<ApiArgs<M>> } = {
  hello: none as z.ZodType<Record<string, never>>,
  probe: none as z.ZodType<Record<string, never>>,
  validate: z.strictObject({ design: present }),
  plan: z.strictObject({ design: present }),
  scan: z.strictObject({
    root: z.string().min(1).max(4096).optional(),
    design: z.unknown().optional(),
  }),
  listDir: z.strictObject({
    root: z.string().min(1).max(4096),
    path: z.string().max(4096),
  }),
  listQuarantine: z.strictObject({
    device: z
      .string()
      .regex(/^\/dev\/[^\0]+$/, "must be a device path such as /dev/sda2")
      .max(4096),
    subvolume: z.string().min(1).max(4096).nullable().optional(),
    path: z.string().max(4096),
  }),
  listDesigns: none as z.ZodType<Record<string, never>>,
  openDesign: z.strictObject({ name }),
  saveDesign: z.strictObject({ name, design: present }),
  writePlan: z.strictObject({ name, design: present }),
  runPhase: z.strictObject({
    design: present,
    phase: z.enum(PHASES),
    dryRun: z.boolean(),
    cols,
    rows,
  }),
  runMode: z.strictObject({ phase: z.enum(PHASES), dryRun: z.boolean() }),
  cancelRun: z.strictObject({ runId: id }),
  runStatus: z.strictObject({ runId: id }),
  runLog: z.strictObject({ runId: id }),
  openShell: z.strictObject({ cols, rows }),
  terminalInput: z.strictObject({
    terminalId: id,
    data: z.string().max(MAX_TERMINAL_INPUT),
  }),
  terminalResize: z.strictObject({ terminalId: id, cols, rows }),
  terminalAck: z.strictObject({
    terminalId: id,
    chars: z.int().min(0).max(Number.MAX_SAFE_INTEGER),
  }),
  terminalKill: z.strictObject({ terminalId: id }),
};

const wireRequest = z.strictObject({
  id: z.int().min(0).max(Number.MAX_SAFE_INTEGER),
  method: z.string().min(1).max(100),
  args: present,
});

export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

export function isApiMethod(method: unknown): method is ApiMethod {
  return (
    typeof method === "string" &&
    (API_METHODS as readonly string[]).includes(method)
  );
}

/** Check a method's arguments; the error names the method and the field. */
export function checkArgs<M extends ApiMethod>(
  method: M,
  args: unknown,
): Checked<ApiArgs<M>> {
  const parsed = argSchemas[method].safeParse(args, { reportInput: true });
  if (parsed.success) return { ok: true, value: parsed.data };
  return {
    ok: false,
    error: `Invalid arguments to "${method}": ${describeIssues(parsed.error.issues, "args")}.`,
  };
}

/** Parse one WebSocket text frame into a request, or say why not. */
export function parseWireRequest(
  text: string,
): Checked<{ id: number; method: string; args: unknown }> & { id?: number } {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return {
      ok: false,
      error:
        'The message is not JSON; send {"id": <number>, "method": "<name>", "args": {...}}.',
    };
  }
  const parsed = wireRequest.safeParse(message, { reportInput: true });
  if (parsed.success) return { ok: true, value: parsed.data };
  // Answer with the request's id when it is readable, so the caller's promise settles.
  const rawId =
    typeof message === "object" && message !== null
      ? (message as { id?: unknown }).id
      : undefined;
  return {
    ok: false,
    id: wireRequest.shape.id.safeParse(rawId).success
      ? (rawId as number)
      : undefined,
    error: `The message is not a valid request: ${describeIssues(parsed.error.issues, "")}.`,
  };
}

function describeIssues(issues: z.core.$ZodIssue[], root: string): string {
  const shown = issues.slice(0, 3).map((issue) => describe(issue, root));
  if (issues.length > 3) shown.push(`and ${issues.length - 3} more`);
  return shown.join("; ");
}

function describe(issue: z.core.$ZodIssue, root: string): string {
  const path = [root, ...issue.path.map(String)].filter(Boolean).join(".");
  const field = path ? `"${path}"` : "it";
  switch (issue.code) {
    case "invalid_type":
      if (issue.input === undefined) return `${field} is required`;
      return `${field} must be ${article(issue.expected)} (got ${kindOf(issue.input)})`;
    case "unrecognized_keys":
      return `${field} has unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}; remove ${issue.keys.length > 1 ? "them" : "it"}`;
    case "invalid_value":
      return `${field} must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "too_small":
      return issue.origin === "string"
        ? `${field} must not be empty`
        : `${field} must be at least ${String(issue.minimum)}`;
    case "too_big":
      return issue.origin === "string"
        ? `${field} is too long (at most ${String(issue.maximum)} characters)`
        : `${field} must be at most ${String(issue.maximum)}`;
    default:
      // Our own messages read as the end of a sentence ("must be ...").
      return issue.message.startsWith("must ")
        ? `${field} ${issue.message}`
        : `${field}: ${issue.message}`;
  }
}

function article(expected: string): string {
  if (expected === "int") return "an integer";
  if (expected === "nonoptional") return "present";
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "number" && !Number.isInteger(value))
    return "a fraction";
  const type = typeof value;
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}
