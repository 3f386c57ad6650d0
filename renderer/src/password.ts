// Passwords are hashed here, in the renderer, with SHA-512 crypt ("$6$", the
// format of `mkpasswd -m sha-512` and `openssl passwd -6`): the clear text
// never reaches the backend, the design or any file. The library is loaded on
// first use so it costs nothing at start-up.

const SALT_ALPHABET =
  "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** 16 random characters of crypt's alphabet (96 bits), from the platform's CSPRNG. */
export function randomSalt(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  // 256 is a multiple of 64, so `% 64` picks every character equally often.
  return Array.from(bytes, (b) => SALT_ALPHABET[b % 64]).join("");
}

/**
 * The library hashes JavaScript strings one char code per byte, so give it
 * the UTF-8 bytes that way: "pässwörd" must hash as glibc's crypt() hashes it.
 */
function utf8AsBinary(text: string): string {
  let out = "";
  for (const b of new TextEncoder().encode(text)) out += String.fromCharCode(b);
  return out;
}

export async function hashPassword(
  password: string,
  salt: string = randomSalt(),
): Promise<string> {
  if (!/^[./0-9A-Za-z]{8,16}$/.test(salt))
    throw new Error("A salt is 8 to 16 characters of ./0-9A-Za-z.");
  const { sha512 } = await import("sha512-crypt-ts");
  return sha512.crypt(utf8AsBinary(password), `$6$${salt}`);
}

/** Why a password is not acceptable, or null. Kept short: the user decides. */
export function passwordProblem(
  password: string,
  repeat: string,
): string | null {
  if (password.length === 0) return "Password: type the user's password.";
  if (password !== repeat)
    return "Repeat password: the two passwords differ; type them again.";
  if (password.length < 8)
    return "Password: use at least 8 characters; this password guards sudo and logins.";
  return null;
}
