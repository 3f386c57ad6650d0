// Reading untrusted JSON with one sentence per problem, each at its JSON path
// (`persistence.directories[2].mode`). Readers return the value when it is
// usable and undefined otherwise, so one pass reports every problem at once.
import type { Problem } from "./types";

export type Obj = Record<string, unknown>;

export class Findings {
  readonly problems: Problem[] = [];

  error(path: string, message: string): void {
    this.problems.push({ path, message, severity: "error" });
  }

  warn(path: string, message: string): void {
    this.problems.push({ path, message, severity: "warning" });
  }

  get hasErrors(): boolean {
    return this.problems.some((p) => p.severity === "error");
  }
}

/** JSON path of a field: `a.b`, or `a["odd key"]` when the key is not a plain name. */
export function at(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key))
    return path === "" ? key : `${path}.${key}`;
  return `${path}[${JSON.stringify(key)}]`;
}

export function isObject(value: unknown): value is Obj {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function describeJson(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return `the string ${JSON.stringify(value)}`;
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** The closest known field to a misspelled one, if any is close enough. */
export function closest(
  word: string,
  choices: readonly string[],
): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const choice of choices) {
    const d = distance(word.toLowerCase(), choice.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = choice;
    }
  }
  return best !== null && bestDistance <= Math.max(2, word.length / 3)
    ? best
    : null;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(
        row[j]! + 1,
        row[j - 1]! + 1,
        previous + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      previous = above;
    }
  }
  return row[b.length]!;
}

export class Reader {
  constructor(readonly findings: Findings) {}

  /** An object with only the given fields; every other field is reported. */
  object(
    value: unknown,
    path: string,
    fields: readonly string[],
    what: string,
  ): Obj | undefined {
    if (!isObject(value)) {
      // undefined was reported where the field is required, or is allowed.
      if (value !== undefined)
        this.findings.error(
          path,
          `must be an object (${what}), not ${describeJson(value)}: write it as { "field": value, ... }`,
        );
      return undefined;
    }
    for (const key of Object.keys(value)) {
      if (fields.includes(key)) continue;
      const guess = closest(key, fields);
      this.findings.error(
        at(path, key),
        guess
          ? `is not a field of ${what}: did you mean "${guess}"? Remove or rename it`
          : `is not a field of ${what}: remove it (the fields are ${fields.join(", ")})`,
      );
    }
    return value;
  }

  /** A required field: reports it missing with a hint of what to write. */
  required(obj: Obj, key: string, path: string, hint: string): unknown {
    if (!(key in obj) || obj[key] === undefined) {
      this.findings.error(at(path, key), `is missing: ${hint}`);
      return undefined;
    }
    return obj[key];
  }

  string(value: unknown, path: string, hint: string): string | undefined {
    if (typeof value !== "string") {
      if (value !== undefined)
        this.findings.error(
          path,
          `must be a string, not ${describeJson(value)}: ${hint}`,
        );
      return undefined;
    }
    return value;
  }

  boolean(value: unknown, path: string): boolean | undefined {
    if (typeof value !== "boolean") {
      if (value !== undefined)
        this.findings.error(
          path,
          `must be true or false, not ${describeJson(value)}: write true or false without quotes`,
        );
      return undefined;
    }
    return value;
  }

  integer(
    value: unknown,
    path: string,
    min: number,
    max: number,
  ): number | undefined {
    if (
      typeof value !== "number" ||
      !Number.isInteger(value) ||
      value < min ||
      value > max
    ) {
      if (value !== undefined)
        this.findings.error(
          path,
          `must be a whole number from ${min} to ${max}, not ${describeJson(value)}: write a number without quotes`,
        );
      return undefined;
    }
    return value;
  }

  oneOf<T extends string>(
    value: unknown,
    path: string,
    choices: readonly T[],
  ): T | undefined {
    if (
      typeof value === "string" &&
      (choices as readonly string[]).includes(value)
    )
      return value as T;
    if (value !== undefined)
      this.findings.error(
        path,
        `is ${describeJson(value)}: use one of ${choices.map((c) => JSON.stringify(c)).join(", ")}`,
      );
    return undefined;
  }

  list(value: unknown, path: string, what: string): unknown[] | undefined {
    if (!Array.isArray(value)) {
      if (value !== undefined)
        this.findings.error(
          path,
          `must be a list of ${what}, not ${describeJson(value)}`,
        );
      return undefined;
    }
    return value;
  }
}
