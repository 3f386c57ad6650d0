import { createHash } from "node:crypto";
import fc from "fast-check";
import { expect, it } from "vitest";
import { canonicalJson, sha256Hex } from "../../../../shared/hash/sha256";

it("matches node:crypto on known and random texts", () => {
  expect(sha256Hex("")).toBe(
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  );
  expect(sha256Hex("abc")).toBe(
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  fc.assert(
    fc.property(fc.string({ unit: "grapheme", maxLength: 300 }), (text) => {
      expect(sha256Hex(text)).toBe(
        createHash("sha256").update(text, "utf8").digest("hex"),
      );
    }),
  );
  const long = "x".repeat(1_000_003);
  expect(sha256Hex(long)).toBe(createHash("sha256").update(long).digest("hex"));
});

it("canonical JSON does not depend on key order", () => {
  expect(canonicalJson({ b: 1, a: [{ d: 2, c: undefined, e: "x" }] })).toBe(
    '{"a":[{"d":2,"e":"x"}],"b":1}',
  );
  expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
});
