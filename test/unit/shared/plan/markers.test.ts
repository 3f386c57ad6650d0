import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  WHY_MAX_BYTES,
  decodeOscBody,
  encodeMarker,
  type Marker,
} from "../../../../shared/plan/markers";

/** The body between ESC ] and BEL of an encoded marker. */
function body(encoded: string): string {
  expect(encoded.startsWith("\u001b]")).toBe(true);
  expect(encoded.endsWith("\u0007")).toBe(true);
  return encoded.slice(2, -1);
}

const id = fc.stringMatching(/^[A-Za-z0-9._-]{1,20}$/);
const marker: fc.Arbitrary<Marker> = fc.oneof(
  fc.record({
    kind: fc.constant("progress" as const),
    state: fc.constantFrom(0, 1, 2, 3, 4 as const),
    percent: fc.integer({ min: 0, max: 100 }),
  }),
  fc.record({
    kind: fc.constant("phase-start" as const),
    phase: id,
    steps: fc.nat(500),
  }),
  fc.record({ kind: fc.constant("step-start" as const), step: id }),
  fc.record({
    kind: fc.constant("step-end" as const),
    step: id,
    result: fc.constantFrom("done", "skipped", "failed" as const),
  }),
  fc.record({
    kind: fc.constant("phase-end" as const),
    phase: id,
    result: fc.constantFrom("ok", "failed", "cancelled" as const),
  }),
  fc.record({ kind: fc.constant("dry-stop" as const), step: id }),
  fc.record({
    kind: fc.constant("why" as const),
    reason: fc.constantFrom(
      "refused",
      "stopped",
      "failed",
      "missing-tool",
      "not-confirmed" as const,
    ),
    // Any text: semicolons, BEL and ESC, newlines, quotes, any script.
    text: fc.string({ unit: "binary", maxLength: 200 }),
  }),
) as fc.Arbitrary<Marker>;

describe("step markers", () => {
  it("decode what they encode", () => {
    fc.assert(
      fc.property(marker, (m) => {
        expect(decodeOscBody(body(encodeMarker(m)))).toEqual(m);
      }),
    );
  });

  it("write OSC 9;4 as terminals expect it", () => {
    expect(encodeMarker({ kind: "progress", state: 1, percent: 42.4 })).toBe(
      "\u001b]9;4;1;42\u0007",
    );
    expect(encodeMarker({ kind: "progress", state: 1, percent: 140 })).toBe(
      "\u001b]9;4;1;100\u0007",
    );
  });

  it("carry a why text as hex, so no byte of it can end or split the OSC", () => {
    const m = encodeMarker({
      kind: "why",
      reason: "refused",
      text: "a;b\u0007c\u001b]d €",
    });
    expect(m).toBe(
      "\u001b]7707;tabula;why;refused;613b6207631b5d6420e282ac\u0007",
    );
  });

  it("cut a long why text at WHY_MAX_BYTES, also inside a character", () => {
    const text = "é".repeat(WHY_MAX_BYTES); // 2 bytes each
    const m = decodeOscBody(
      body(encodeMarker({ kind: "why", reason: "failed", text })),
    );
    expect(m).toEqual({
      kind: "why",
      reason: "failed",
      text: "é".repeat(WHY_MAX_BYTES / 2),
    });
    // An odd cut leaves half a character: it reads as U+FFFD, not as garbage.
    expect(decodeOscBody("7707;tabula;why;stopped;41c3")).toEqual({
      kind: "why",
      reason: "stopped",
      text: "A\ufffd",
    });
  });

  it("refuse fields that would need escaping", () => {
    expect(() => encodeMarker({ kind: "step-start", step: "a;b" })).toThrow(
      /must match/,
    );
    expect(() => encodeMarker({ kind: "step-start", step: "" })).toThrow(
      /must match/,
    );
  });

  it.each([
    "0;some title",
    "9;4;7;10",
    "9;4;1;abc",
    "7707;other;step-start;x",
    "7707;tabula;step-end;x;maybe",
    "7707;tabula;phase-start;p;-1",
    "7707;tabula;nonsense;x",
    "7707;tabula;step-start;bad id",
    "7707;tabula;why;maybe;41",
    "7707;tabula;why;refused;4",
    "7707;tabula;why;refused;zz",
    "7707;tabula;why;refused;41;42",
  ])("ignore OSC bodies that are not ours or are malformed: %j", (text) => {
    expect(decodeOscBody(text)).toBeNull();
  });
});
