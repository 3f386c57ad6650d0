# Tabula as a Nix package, built from the committed package-lock.json.
#
#   bin/tabula-gui  the app: nixpkgs' Electron running $out/lib/tabula
#   bin/tabula      the command line: Node running the bundled CLI
#                   (out/main/cli.js), e.g. `tabula serve`
#
# node-pty is compiled here against nixpkgs' Node. It is a Node-API addon, so
# the same pty.node loads in Electron (FACTS.md, "Terminal"): nothing is
# rebuilt for Electron, and Electron's own download is skipped.
#
# Checked against nixpkgs (see docs/packaging.md): buildNpmPackage
# (pkgs/build-support/node/build-npm-package), importNpmLock and its
# npmConfigHook (pkgs/build-support/node/import-npm-lock), the electron
# wrapper (pkgs/development/tools/electron/wrapper.nix).
{
  lib,
  buildNpmPackage,
  importNpmLock,
  nodejs,
  electron,
  makeWrapper,
  # The repository root (a path, or a filtered source of it).
  src,
}:
let
  manifest = lib.importJSON (src + "/package.json");
in
buildNpmPackage {
  pname = "tabula";
  inherit (manifest) version;
  inherit src nodejs;

  # Every package is fetched on its own, pinned by the lock's `integrity`, so
  # there is no npmDepsHash to keep up to date. The lock is written without
  # `resolved` URLs; npm-lock-resolved.nix puts them back.
  npmDeps = importNpmLock {
    package = manifest;
    packageLock = import ./npm-lock-resolved.nix (lib.importJSON (src + "/package-lock.json"));
  };
  npmConfigHook = importNpmLock.npmConfigHook;

  nativeBuildInputs = [ makeWrapper ];

  env = {
    # electron is a dev dependency for its types and for electron-vite; its
    # install script would download a binary. nixpkgs' electron runs the app.
    ELECTRON_SKIP_BINARY_DOWNLOAD = "1";
    # node-pty has no Linux prebuild: its install script runs node-gyp against
    # this Node's headers (npmConfigHook sets npm_config_nodedir). With this set
    # it also deletes the Windows and macOS prebuilds it ships.
    npm_config_build_from_source = "true";
  };

  # npmBuildScript defaults to "build": electron-vite writes out/main (with
  # the CLI bundle out/main/cli.js), out/preload and out/renderer.

  installPhase = ''
    runHook preInstall

    npm prune --omit=dev --no-save

    app=$out/lib/tabula
    mkdir -p $app
    cp -r out package.json node_modules $app/

    # What never runs: node-pty's sources, build tree and foreign binaries
    # (its Makefiles would also keep the Node sources in the closure), and
    # tsx, which only the checkout's CLI launcher uses.
    pty=$app/node_modules/node-pty
    rm -rf $pty/{deps,third_party,src,scripts,typings,node-addon-api,prebuilds,binding.gyp}
    find $pty/build -mindepth 1 -maxdepth 1 ! -name Release -exec rm -rf {} +
    find $pty/build/Release -mindepth 1 -maxdepth 1 ! -name pty.node -exec rm -rf {} +
    rm -rf $app/node_modules/{tsx,esbuild,@esbuild,node-addon-api,.bin}
    test -f $pty/build/Release/pty.node

    makeWrapper ${lib.getExe electron} $out/bin/tabula-gui \
      --add-flags $app \
      --set-default ELECTRON_FORCE_IS_PACKAGED 1 \
      --add-flags "\''${NIXOS_OZONE_WL:+\''${WAYLAND_DISPLAY:+--ozone-platform-hint=auto --enable-features=WaylandWindowDecorations}}"
    makeWrapper ${lib.getExe nodejs} $out/bin/tabula \
      --add-flags $app/out/main/cli.js

    runHook postInstall
  '';

  meta = {
    description = "Install, convert and repair stateless NixOS (tmpfs root, impermanence)";
    license = lib.licenses.mit;
    mainProgram = "tabula-gui";
    platforms = lib.platforms.linux;
  };
}
