# Restores the `resolved` URL of every registry package in a parsed
# package-lock.json (lockfileVersion 2 or 3).
#
# Why: the project's machines run npm with omit-lockfile-registry-resolved, so
# the committed lock has `version` and `integrity` but no `resolved`. Nix
# fetches every package by URL: importNpmLock only fetches modules that have
# `resolved`, and prefetch-npm-deps (fetchNpmDeps) skips the others and then
# stops with "No cacheable dependencies were found ... ensure that remote
# dependencies have `resolved` URLs" (nixpkgs
# pkgs/build-support/node/fetch-npm-deps/src/parse/{lock,mod}.rs). For a
# registry package npm itself derives the URL from name and version, e.g.
#   node-pty 1.1.0         -> https://registry.npmjs.org/node-pty/-/node-pty-1.1.0.tgz
#   @esbuild/linux-x64 ... -> https://registry.npmjs.org/@esbuild/linux-x64/-/linux-x64-0.28.2.tgz
# and the `integrity` already in the lock still pins each tarball.
#
# Only builtins, so the test suite evaluates it with a bare nix-instantiate.
lock:
let
  registry = "https://registry.npmjs.org/";

  # "node_modules/a/node_modules/@s/b" -> "@s/b"; an npm alias records the
  # real package in `name`.
  packageName =
    path: entry:
    entry.name or (builtins.elemAt (builtins.match "(.*/)?node_modules/((@[^/]+/)?[^/]+)" path) 1);

  # "@s/b" -> "b": the tarball is named without the scope.
  unscoped = name: builtins.elemAt (builtins.match "(@[^/]+/)?([^/]+)" name) 1;

  tarballUrl =
    path: entry:
    let
      name = packageName path entry;
    in
    "${registry}${name}/-/${unscoped name}-${entry.version}.tgz";

  # The root project (""), workspace links, bundled packages and anything
  # not from the registry (no integrity) keep what they have.
  fromRegistry =
    path: entry:
    path != ""
    && !(entry ? resolved)
    && !(entry.link or false)
    && !(entry.inBundle or false)
    && entry ? version
    && entry ? integrity
    && builtins.match "(.*/)?node_modules/.+" path != null;
in
lock
// {
  packages = builtins.mapAttrs (
    path: entry: if fromRegistry path entry then entry // { resolved = tarballUrl path entry; } else entry
  ) lock.packages;
}
