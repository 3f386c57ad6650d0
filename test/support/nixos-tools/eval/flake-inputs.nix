# Stand-in inputs for a flake's `outputs`: every input it declares or asks
# for by argument name (Nix looks those up in the registry), plus `self`.
#   nixpkgs (any input named nixpkgs* or whose url names NixOS/nixpkgs):
#     lib = the evaluator's lib, with lib.nixosSystem = args: args, so the
#     modules list comes back unevaluated;
#   impermanence: nixosModules.impermanence (and .default) is the real
#     impermanence nixos.nix or ./impermanence-stub.nix (see eval.nix);
#   anything else: an empty stub whose nixosModules.default and
#     nixosModules.NAME are empty modules.
# Nothing is fetched and flake.lock is not read.
{
  lib,
  pkgs,
  modulesPath,
  impermanenceModule,
  flakeDir,
  flake,
}:
let
  b = builtins;
  declared = flake.inputs or { };
  asked = b.functionArgs flake.outputs;
  names = b.filter (n: n != "self") (b.attrNames (declared // asked));
  urlOf = n: if b.isAttrs (declared.${n} or null) then declared.${n}.url or "" else "";
  isNixpkgs = n: lib.hasPrefix "nixpkgs" n || b.match ".*[Nn]ix[Oo][Ss]/nixpkgs.*" (urlOf n) != null;
  isImpermanence = n: n == "impermanence" || b.match ".*impermanence.*" (urlOf n) != null;
  sourceInfo = name: {
    outPath = "/nonexistent/tabula-standin-input-${name}";
    lastModified = 0;
    lastModifiedDate = "19700101000000";
    narHash = "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
  };
  nixpkgsInput =
    name:
    sourceInfo name
    // {
      inherit lib;
      legacyPackages = lib.genAttrs lib.systems.flakeExposed (_: pkgs);
      nixosModules.notDetected = modulesPath + "/installer/scan/not-detected.nix";
      _type = "flake";
    };
  impermanenceInput =
    name:
    sourceInfo name
    // {
      nixosModules = {
        impermanence = impermanenceModule;
        default = impermanenceModule;
      };
      _type = "flake";
    };
  otherInput =
    name:
    sourceInfo name
    // {
      nixosModules = {
        default = { };
        ${name} = { };
      };
      lib = { };
      packages = { };
      _type = "flake";
    };
  inputFor =
    n:
    if isNixpkgs n then
      nixpkgsInput n
    else if isImpermanence n then
      impermanenceInput n
    else
      otherInput n;
  inputs = lib.genAttrs names inputFor;
  self =
    flake.outputs (inputs // { inherit self; })
    // {
      outPath = flakeDir;
      inherit inputs;
      sourceInfo = sourceInfo "self" // {
        outPath = flakeDir;
      };
      _type = "flake";
    };
in
inputs // { inherit self; }
