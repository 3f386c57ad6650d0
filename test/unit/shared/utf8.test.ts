import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { utf8Bytes, utf8Decode } from "../../../shared/utf8";

describe("utf8Decode", () => {
  it("reads back any text utf8Bytes wrote", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 300 }), (text) => {
        expect(utf8Decode(utf8Bytes(text))).toBe(text);
      }),
    );
  });

  it("reads any bytes as Node's TextDecoder does (U+FFFD for what is not UTF-8)", () => {
    const decoder = new TextDecoder("utf-8");
    // Bytes biased towards the edges of UTF-8: leads, continuations,
    // overlong and surrogate forms, bytes that never occur.
    const byte = fc.oneof(
      fc.integer({ min: 0, max: 255 }),
      fc.constantFrom(0x80, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef),
      fc.constantFrom(0xf0, 0xf4, 0xf5, 0xff, 0x9f, 0xa0, 0x8f, 0x90),
    );
    fc.assert(
      fc.property(fc.array(byte, { maxLength: 40 }), (bytes) => {
        expect(utf8Decode(bytes)).toBe(decoder.decode(new Uint8Array(bytes)));
      }),
      { numRuns: 2000 },
    );
  });
});
