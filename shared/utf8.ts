// UTF-8 encoding by hand: shared/ has no TextEncoder (no DOM or Node types).

/** UTF-8 bytes of one code point. */
export function utf8(ch: string): number[] {
  const cp = ch.codePointAt(0)!;
  if (cp < 0x80) return [cp];
  if (cp < 0x800) return [0xc0 | (cp >> 6), 0x80 | (cp & 63)];
  if (cp < 0x10000)
    return [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)];
  return [
    0xf0 | (cp >> 18),
    0x80 | ((cp >> 12) & 63),
    0x80 | ((cp >> 6) & 63),
    0x80 | (cp & 63),
  ];
}

/** UTF-8 bytes of a string. */
export function utf8Bytes(text: string): number[] {
  const out: number[] = [];
  for (const ch of text) out.push(...utf8(ch));
  return out;
}

/**
 * The text of UTF-8 bytes. What is not UTF-8 (a sequence cut short, say,
 * where a sentence was cut at a byte count) becomes U+FFFD, one per
 * offending sequence, as TextDecoder does.
 */
export function utf8Decode(bytes: readonly number[]): string {
  let out = "";
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      out += String.fromCharCode(b);
      i++;
      continue;
    }
    // Lead byte: how many continuation bytes, and the smallest code point
    // (so overlong forms are refused) and the range of the first one.
    const need =
      b >= 0xc2 && b <= 0xdf
        ? 1
        : b >= 0xe0 && b <= 0xef
          ? 2
          : b >= 0xf0 && b <= 0xf4
            ? 3
            : -1;
    if (need < 0) {
      out += "\ufffd";
      i++;
      continue;
    }
    const lo = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
    const hi = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
    let cp = b & (0x3f >> need);
    let j = 1;
    for (; j <= need; j++) {
      const c = bytes[i + j];
      const min = j === 1 ? lo : 0x80;
      const max = j === 1 ? hi : 0xbf;
      if (c === undefined || c < min || c > max) break;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (j <= need) {
      out += "\ufffd";
      i += j; // the valid start of the sequence is one replacement
      continue;
    }
    out += String.fromCodePoint(cp);
    i += need + 1;
  }
  return out;
}
