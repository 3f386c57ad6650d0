// The exact shapes of the crypt(3) hashes a NixOS login accepts (libxcrypt,
// crypt(5)), so that a hash cut short or mistyped is refused here, naming
// its scheme, instead of locking the user out of a machine whose
// users.mutableUsers = false leaves no other way in. Locked accounts are
// "!" or "*" (or "!" before a valid hash).
import { utf8Bytes } from "../../utf8";

/** The crypt alphabet: the base-64 digits crypt(3) writes. */
const B64 = "[./0-9A-Za-z]";

interface Scheme {
  /** What the user knows it as. */
  name: string;
  /** How to make one. */
  make: string;
  /** The prefix that names the scheme ("$6$"). */
  prefix: string;
  /** The whole hash. */
  shape: { test: (hash: string) => boolean };
  /** Why a hash with this prefix does not fit, in words, or null when it fits. */
  fault: (hash: string) => string | null;
}

function digestFault(
  hash: string,
  expected: number,
  writer: string,
): string | null {
  const digest = hash.slice(hash.lastIndexOf("$") + 1);
  if (digest.length !== expected)
    return `its digest (after the last "$") is ${digest.length} characters, where ${writer} always ${writer.includes(" and ") ? "write" : "writes"} ${expected}: it was cut or mistyped`;
  if (!new RegExp(`^${B64}+$`).test(digest))
    return 'its digest (after the last "$") holds characters crypt(3) never writes (only . / 0-9 A-Z a-z): it was mistyped';
  return null;
}

/** SHA-crypt ($5$, $6$): optional rounds=N, a salt of 1-16 characters, a fixed-length digest. */
function shaCrypt(
  id: "5" | "6",
  name: string,
  digest: number,
  make: string,
): Scheme {
  const pattern = new RegExp(
    `^\\$${id}\\$(?:rounds=(\\d+)\\$)?([^$:\\s]+)\\$${B64}{${digest}}$`,
  );
  // The salt is at most 16 bytes (glibc and libxcrypt cut a longer one).
  const shape = {
    test: (hash: string) => {
      const m = pattern.exec(hash);
      if (m === null || utf8Bytes(m[2]!).length > 16) return false;
      const rounds = m[1] === undefined ? null : Number(m[1]);
      return rounds === null || (rounds >= 1000 && rounds <= 999_999_999);
    },
  };
  return {
    name,
    make,
    prefix: `$${id}$`,
    shape,
    fault: (hash) => {
      const parts = hash.split("$");
      // "", id, [rounds=N], salt, digest
      const rounds = parts[2]?.startsWith("rounds=") ? parts[2] : null;
      const expectedParts = rounds ? 5 : 4;
      if (parts.length !== expectedParts)
        return `it has ${parts.length - 1} "$" where a ${name} hash has ${expectedParts - 1} ($${id}$${rounds ? "rounds=N$" : ""}SALT$DIGEST)`;
      if (rounds) {
        const n = Number(rounds.slice("rounds=".length));
        if (!/^rounds=\d+$/.test(rounds) || n < 1000 || n > 999_999_999)
          return `its "${rounds}" is not a number of rounds crypt(3) writes (1000 to 999999999)`;
      }
      const salt = parts[expectedParts - 2]!;
      if (salt.length === 0 || salt.length > 16 || /[:\s]/.test(salt))
        return `its salt is ${salt.length} characters${/[:\s]/.test(salt) ? ' with a space or ":"' : ""}, where crypt(3) writes 1 to 16 of the crypt alphabet`;
      return digestFault(hash, digest, "glibc and libxcrypt");
    },
  };
}

/** yescrypt-like ($y$, $gy$): parameters, a salt, a 43-character digest. */
function yescrypt(id: "y" | "gy", name: string, make: string): Scheme {
  return {
    name,
    make,
    prefix: `$${id}$`,
    shape: new RegExp(`^\\$${id}\\$${B64}+\\$${B64}{1,86}\\$${B64}{43}$`),
    fault: (hash) => {
      const parts = hash.split("$");
      if (parts.length !== 5)
        return `it has ${parts.length - 1} "$" where a ${name} hash has 4 ($${id}$PARAMETERS$SALT$DIGEST)`;
      if (!new RegExp(`^${B64}+$`).test(parts[2]!))
        return `its parameters "${parts[2]}" are not in the crypt alphabet`;
      if (!new RegExp(`^${B64}{1,86}$`).test(parts[3]!))
        return "its salt is not 1 to 86 characters of the crypt alphabet";
      return digestFault(hash, 43, "libxcrypt");
    },
  };
}

const SCHEMES: Scheme[] = [
  yescrypt("y", "yescrypt", "mkpasswd -m yescrypt"),
  yescrypt("gy", "GOST yescrypt", "mkpasswd -m gost-yescrypt"),
  {
    name: "scrypt",
    make: "mkpasswd -m scrypt",
    prefix: "$7$",
    shape: new RegExp(`^\\$7\\$${B64}{11}${B64}{0,43}\\$${B64}{43}$`),
    fault: (hash) => {
      const parts = hash.split("$");
      if (parts.length !== 4)
        return `it has ${parts.length - 1} "$" where an scrypt hash has 3 ($7$PARAMETERSSALT$DIGEST)`;
      if (!new RegExp(`^${B64}{11,54}$`).test(parts[2]!))
        return "its parameters and salt are not 11 to 54 characters of the crypt alphabet";
      return digestFault(hash, 43, "libxcrypt");
    },
  },
  ...(["2b", "2y", "2a"] as const).map((id): Scheme => ({
    name: `bcrypt ($${id}$)`,
    make: id === "2a" ? "mkpasswd -m bcrypt-a" : "mkpasswd -m bcrypt",
    prefix: `$${id}$`,
    shape: new RegExp(`^\\$${id}\\$(0[4-9]|[12][0-9]|3[01])\\$${B64}{53}$`),
    fault: (hash) => {
      const parts = hash.split("$");
      if (parts.length !== 4)
        return `it has ${parts.length - 1} "$" where a bcrypt hash has 3 ($${id}$COST$SALTDIGEST)`;
      if (!/^(0[4-9]|[12][0-9]|3[01])$/.test(parts[2]!))
        return `its cost "${parts[2]}" is not two digits from 04 to 31`;
      if (parts[3]!.length !== 53)
        return `its salt and digest are ${parts[3]!.length} characters, where bcrypt always writes 53 (22 + 31): it was cut or mistyped`;
      return new RegExp(`^${B64}{53}$`).test(parts[3]!)
        ? null
        : "its salt and digest hold characters bcrypt never writes: it was mistyped";
    },
  })),
  shaCrypt(
    "6",
    "SHA-512 crypt",
    86,
    "mkpasswd -m sha512crypt, or openssl passwd -6",
  ),
  shaCrypt(
    "5",
    "SHA-256 crypt",
    43,
    "mkpasswd -m sha256crypt, or openssl passwd -5",
  ),
];

/** Schemes crypt(3) knows but a new NixOS login should not get. */
const REFUSED: { prefix: string; name: string }[] = [
  { prefix: "$1$", name: "an MD5 crypt" },
  { prefix: "$md5", name: "a SunMD5" },
  { prefix: "$sha1$", name: "a SHA-1 crypt" },
  { prefix: "$3$", name: "an NT" },
  { prefix: "_", name: "a BSDi DES crypt" },
];

const MAKE =
  'make one with "mkpasswd -m yescrypt" and paste its output (never the password itself)';

/**
 * Why HASH is not a hash a NixOS login accepts, as the end of a sentence
 * ("is ..."), or null when it is one (or a locked account).
 */
export function cryptHashFault(hash: string): string | null {
  if (hash === "")
    return 'is empty, which would let anyone log in without a password: give a hash made with "mkpasswd -m yescrypt", or "!" to lock the password';
  if (hash === "!" || hash === "*") return null;
  // "!HASH" is a locked account that keeps its hash for later.
  const h = hash.startsWith("!") ? hash.slice(1) : hash;
  if (/[\s:]/.test(h))
    return 'holds a space, a line break or ":", which no crypt(3) hash has (and ":" would split /etc/shadow): paste exactly what mkpasswd printed';
  for (const s of SCHEMES)
    if (h.startsWith(s.prefix)) {
      if (s.shape.test(h)) return null;
      const why = s.fault(h) ?? "its parts are not where crypt(3) writes them";
      return `looks like a ${s.name} hash, but ${why}, so no password would match it and the login would be locked. Make it again (${s.make}) and paste the whole line`;
    }
  for (const r of REFUSED)
    if (h.startsWith(r.prefix))
      return `is ${r.name} hash, a scheme too weak for a new login (NixOS may refuse it): ${MAKE}`;
  if (/^[./0-9A-Za-z]{13}$/.test(h))
    return `is a traditional DES crypt hash, which keeps only 8 characters of a password: ${MAKE}`;
  return `is not a crypt(3) password hash: ${MAKE}`;
}
