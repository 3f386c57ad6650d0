// The "users" and "groups" blocks: accounts as NixOS declares them, with the
// checks that keep /etc/passwd and /etc/shadow well-formed.
import { at, isObject } from "../reader";
import type { GroupDesign, UserDesign } from "../types";
import type { ReadContext } from "./context";
import { cryptHashFault } from "./crypt-hash";
import { readAbsolutePath } from "./fields";
import { FIELDS } from "./schema";

/** A user or group name as shadow-utils accepts it (at most 32 characters). */
export const ACCOUNT_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,30}\$?$/;

/** A user or group name; "__proto__" is refused since it cannot be a plain object key. */
export function isAccountName(name: string): boolean {
  return ACCOUNT_NAME.test(name) && name !== "__proto__";
}

const MAX_ID = 2 ** 31 - 1;

export function readUsers(
  ctx: ReadContext,
  value: unknown,
): Record<string, UserDesign> {
  const out: Record<string, UserDesign> = {};
  if (value === undefined) return out;
  const o = ctx.r.object(
    value,
    "users",
    isObject(value) ? Object.keys(value) : [],
    "the users",
  );
  for (const [name, entry] of Object.entries(o ?? {})) {
    const user = readUser(ctx, name, entry);
    if (user) out[name] = user;
  }
  return out;
}

function readUser(
  ctx: ReadContext,
  name: string,
  value: unknown,
): UserDesign | undefined {
  const path = at("users", name);
  if (!isAccountName(name)) {
    ctx.findings.error(
      path,
      `${JSON.stringify(name)} is not a user name: use a login name such as "mira" (letters, digits, "_", "-", ".")`,
    );
    return undefined;
  }
  const o = ctx.r.object(value, path, FIELDS.user, `the user ${name}`);
  if (!o) return undefined;
  const u: UserDesign = {};
  if (o.uid !== undefined)
    u.uid = ctx.r.integer(o.uid, at(path, "uid"), 0, MAX_ID);
  if (o.isNormalUser !== undefined)
    u.isNormalUser = ctx.r.boolean(o.isNormalUser, at(path, "isNormalUser"));
  if (o.isSystemUser !== undefined)
    u.isSystemUser = ctx.r.boolean(o.isSystemUser, at(path, "isSystemUser"));
  if (o.group !== undefined)
    u.group = readAccountName(ctx, o.group, at(path, "group"), "group");
  if (o.extraGroups !== undefined) {
    const list = ctx.r.list(
      o.extraGroups,
      at(path, "extraGroups"),
      'group names, e.g. ["wheel"]',
    );
    if (list) {
      const groups = list.map((g, i) =>
        readAccountName(ctx, g, at(at(path, "extraGroups"), i), "group"),
      );
      if (groups.every((g) => g !== undefined))
        u.extraGroups = groups as string[];
    }
  }
  if (o.description !== undefined) {
    u.description = ctx.r.string(
      o.description,
      at(path, "description"),
      "the user's full name",
    );
    if (u.description !== undefined && /[:\n]/.test(u.description))
      ctx.findings.error(
        at(path, "description"),
        'holds ":" or a line break, which /etc/passwd cannot store: remove it',
      );
  }
  if (o.home !== undefined) {
    u.home = readAbsolutePath(ctx, o.home, at(path, "home"));
    if (u.home?.includes(":"))
      ctx.findings.error(
        at(path, "home"),
        'holds ":", which /etc/passwd cannot store: choose another folder',
      );
  }
  if (o.hashedPassword !== undefined) {
    const hash = ctx.r.string(
      o.hashedPassword,
      at(path, "hashedPassword"),
      'a crypt(3) hash, e.g. from "mkpasswd -m yescrypt"',
    );
    const fault = hash === undefined ? null : cryptHashFault(hash);
    if (fault !== null) ctx.findings.error(at(path, "hashedPassword"), fault);
    else u.hashedPassword = hash;
  }
  if (o.hashedPasswordFile !== undefined)
    u.hashedPasswordFile = readAbsolutePath(
      ctx,
      o.hashedPasswordFile,
      at(path, "hashedPasswordFile"),
      `/nix/persistent/passwords/${name}`,
    );
  if (o.openssh !== undefined) {
    const keys = readAuthorizedKeys(ctx, o.openssh, at(path, "openssh"));
    if (keys) u.openssh = { authorizedKeys: { keys } };
  }
  return u;
}

/** openssh.authorizedKeys.keys: the good lines, each bad one reported. */
function readAuthorizedKeys(
  ctx: ReadContext,
  value: unknown,
  path: string,
): string[] | undefined {
  const o = ctx.r.object(value, path, FIELDS.openssh, "SSH settings");
  if (!o || o.authorizedKeys === undefined) return undefined;
  const a = ctx.r.object(
    o.authorizedKeys,
    at(path, "authorizedKeys"),
    FIELDS.authorizedKeys,
    "authorized SSH keys",
  );
  if (!a || a.keys === undefined) return undefined;
  const listPath = at(at(path, "authorizedKeys"), "keys");
  const list = ctx.r.list(
    a.keys,
    listPath,
    'public keys, e.g. ["ssh-ed25519 AAAA... mira@laptop"]',
  );
  if (!list) return undefined;
  const keys: string[] = [];
  list.forEach((k, i) => {
    const text = ctx.r.string(
      k,
      at(listPath, i),
      'a public key line, e.g. "ssh-ed25519 AAAA..."',
    );
    if (text === undefined) return;
    if (/[\n\r\0]/.test(text))
      ctx.findings.error(
        at(listPath, i),
        "holds a line break: give one key per list item",
      );
    // The key type may follow authorized_keys options such as from="...".
    else if (!/^(ssh-|ecdsa-|sk-)/.test(text.replace(/^\S+=\S*\s+/, "")))
      ctx.findings.error(
        at(listPath, i),
        'is not an SSH public key: paste a line such as "ssh-ed25519 AAAA... mira@laptop" (the .pub file)',
      );
    else keys.push(text);
  });
  return keys;
}

function readAccountName(
  ctx: ReadContext,
  value: unknown,
  path: string,
  kind: "user" | "group",
): string | undefined {
  const text = ctx.r.string(value, path, `a ${kind} name, e.g. "wheel"`);
  if (text !== undefined && !isAccountName(text)) {
    ctx.findings.error(
      path,
      `${JSON.stringify(text)} is not a ${kind} name: use letters, digits, "_", "-" or "."`,
    );
    return undefined;
  }
  return text;
}

export function readGroups(
  ctx: ReadContext,
  value: unknown,
): Record<string, GroupDesign> {
  const out: Record<string, GroupDesign> = {};
  const o = ctx.r.object(
    value,
    "groups",
    isObject(value) ? Object.keys(value) : [],
    "the groups",
  );
  for (const [name, entry] of Object.entries(o ?? {})) {
    const path = at("groups", name);
    if (!isAccountName(name)) {
      ctx.findings.error(
        path,
        `${JSON.stringify(name)} is not a group name: use letters, digits, "_", "-" or "."`,
      );
      continue;
    }
    const g = ctx.r.object(entry, path, FIELDS.group, `the group ${name}`);
    if (!g) continue;
    out[name] =
      g.gid === undefined
        ? {}
        : { gid: ctx.r.integer(g.gid, at(path, "gid"), 0, MAX_ID) };
  }
  return out;
}
