# Tabula for Nix: the app as a package and a NixOS LiveCD that boots into it.
#
#   nix build ./build/nixos#tabula   the app (bin/tabula-gui, bin/tabula)
#   nix build ./build/nixos#iso      the LiveCD image (result/iso/*.iso)
#
# Only files tracked by git are visible to a flake: commit (or `git add`)
# changes before building. docs/packaging.md has the details and how to boot
# the ISO in QEMU.
{
  description = "Tabula: install, convert and repair stateless NixOS; its package and LiveCD";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-26.05";

  outputs =
    { self, nixpkgs }:
    let
      system = "x86_64-linux";
      inherit (nixpkgs) lib;
      pkgs = nixpkgs.legacyPackages.${system};

      # The repository root, two levels up, limited to what the build reads
      # so that edits to docs or tests do not rebuild the app.
      source = lib.fileset.toSource {
        root = ../..;
        fileset = lib.fileset.unions [
          ../../package.json
          ../../package-lock.json
          ../../tsconfig.json
          ../../build/electron.vite.config.ts
          ../../electron
          ../../renderer
          ../../shared
        ];
      };

      tabulaFor = pkgs: pkgs.callPackage ./package.nix { src = source; };
    in
    {
      packages.${system} = {
        tabula = tabulaFor pkgs;
        default = self.packages.${system}.tabula;
        iso = self.nixosConfigurations.livecd.config.system.build.isoImage;
      };

      overlays.default = final: _prev: { tabula = tabulaFor final; };

      # The LiveCD's own settings; import it together with nixpkgs'
      # installer/cd-dvd/installation-cd-minimal.nix, as below.
      nixosModules.livecd =
        { pkgs, ... }:
        {
          imports = [ ./livecd.nix ];
          tabula.livecd.package = lib.mkDefault (tabulaFor pkgs);
        };

      nixosConfigurations.livecd = lib.nixosSystem {
        modules = [
          "${nixpkgs}/nixos/modules/installer/cd-dvd/installation-cd-minimal.nix"
          self.nixosModules.livecd
          { nixpkgs.hostPlatform = system; }
        ];
      };
    };
}
