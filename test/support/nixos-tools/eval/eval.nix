# Evaluates a NixOS configuration's modules (a flake's
# nixosConfigurations.ATTR, or a configuration.nix) and returns the part of
# its options the stand-ins report (./report.nix). Run it with
#
#   nix-instantiate --eval --strict --json eval.nix \
#     --argstr flake DIR --argstr attr NAME        # or --argstr configuration FILE
#     [--argstr nixpkgsLib DIR] [--argstr impermanence DIR] [--arg failOnAssertions true]
#     [--argstr nixPackage NAME-VERSION]
#
# nixpkgsLib: a checkout of nix-community/nixpkgs.lib (holds lib/): its
# lib.evalModules is used; without it ./standin-lib.nix. impermanence: a
# checkout of nix-community/impermanence, whose nixos.nix is used for the
# flake input `impermanence` (only with the real lib; else
# ./impermanence-stub.nix). failOnAssertions: throw on failed assertions the
# way nixos/modules/system/activation/top-level.nix does (the build's
# behaviour) and print the warnings with builtins.trace. nixPackage: the
# name of the Nix the system ships (config.nix.package), "nix-2.31.2" as
# nixos-25.11 has it, "nix-2.28.4" as 25.05, "lix-2.93.3".
{
  flake ? "",
  attr ? "",
  configuration ? "",
  nixpkgsLib ? "",
  impermanence ? "",
  failOnAssertions ? false,
  nixPackage ? "nix-2.31.2",
}:
let
  b = builtins;
  realLib = nixpkgsLib != "";
  lib0 = if realLib then import (/. + nixpkgsLib + "/lib") else import ./standin-lib.nix;
  lib = lib0 // {
    nixosSystem = args: args // { _tabulaNixosSystem = true; };
  };
  realImpermanence = impermanence != "" && realLib;
  impermanenceModule =
    if realImpermanence then /. + impermanence + "/nixos.nix" else ./impermanence-stub.nix;
  modulesPath = ./modules-path;
  fakeDrv = name: "/nix/store/00000000000000000000000000000000-${name}";
  pkgs = {
    inherit lib;
    system = "x86_64-linux";
    stdenv.hostPlatform.system = "x86_64-linux";
    callPackage = f: args: import f ({ inherit lib; } // args);
    runCommand = name: _: _: fakeDrv name;
    writeShellScript = name: _: fakeDrv name;
    writeShellScriptBin = name: _: fakeDrv name;
    writeText = name: _: fakeDrv name;
    writeScript = name: _: fakeDrv name;
    bash = fakeDrv "bash";
    util-linux = fakeDrv "util-linux";
    coreutils = fakeDrv "coreutils";
  };
  pathsNeededForBoot = [
    "/"
    "/nix"
    "/nix/store"
    "/var"
    "/var/log"
    "/var/lib"
    "/var/lib/nixos"
    "/etc"
    "/usr"
  ];
  utils = {
    inherit pathsNeededForBoot;
    escapeSystemdPath =
      s: b.replaceStrings [ "/" "-" " " ] [ "-" "\\x2d" "\\x20" ] (lib.removePrefix "/" s);
    fsNeededForBoot = fs: fs.neededForBoot || b.elem fs.mountPoint pathsNeededForBoot;
  };
  baseArgs = {
    inherit pkgs utils modulesPath;
  };

  # --- fetches ------------------------------------------------------------------
  # A configuration without a flake brings impermanence in with
  # builtins.fetchGit (Tabula's nixos/impermanence.nix). Test machines have
  # no network, so, as flake inputs are stood in above, that fetch answers
  # with the impermanence checkout (with the real lib) or the stub's folder,
  # after checking it asks for impermanence at a fixed revision; any other
  # fetchGit runs for real (and fails offline, as Nix would). Every module
  # file is read through scopedImport with that fetchGit, and its imports
  # are read the same way, so the fetch is stood in at any depth.
  impermanenceSource = if realImpermanence then /. + impermanence else ./impermanence-stub-src;
  fetchGit =
    args:
    let
      url = if b.isString args then args else args.url or "";
    in
    if url == "https://github.com/nix-community/impermanence" then
      if (args.rev or "") == "" then
        throw "fetchGit of ${url} without a rev: the stand-in only answers a pinned revision"
      else
        {
          outPath = b.toString impermanenceSource;
          inherit (args) rev;
          shortRev = b.substring 0 7 args.rev;
        }
    else
      b.fetchGit args;
  scope = {
    builtins = b // {
      inherit fetchGit;
    };
    inherit fetchGit;
  };
  setArgs = lib.setFunctionArgs or (f: _: f);
  loadModule =
    file:
    let
      name = b.toString file;
    in
    {
      _file = name;
      key = name;
      imports = [ (wrapModule (scopedImport scope file)) ];
    };
  wrapModule =
    m:
    if b.isFunction m then
      setArgs (args: wrapImports (m args)) (b.functionArgs m)
    else
      wrapImports m;
  wrapImports =
    a:
    if b.isAttrs a && a ? imports then
      a // { imports = b.map wrapImport a.imports; }
    else
      a;
  wrapImport =
    i: if b.isPath i || (b.isString i && lib.hasPrefix "/" i) then loadModule i else i;

  # --- the modules of the configuration ----------------------------------------
  fromFlake =
    let
      dir = /. + flake;
      file = dir + "/flake.nix";
      ref = "path:${flake}";
      top =
        if b.pathExists file then
          import file
        else
          throw "source tree referenced by '${ref}' does not contain a '/flake.nix' file";
      inputs = import ./flake-inputs.nix {
        inherit
          lib
          pkgs
          modulesPath
          impermanenceModule
          ;
        flakeDir = flake;
        flake = top;
      };
      outputs = inputs.self;
      tried = "'packages.x86_64-linux.nixosConfigurations.\"${attr}\".config.system.build.toplevel', 'legacyPackages.x86_64-linux.nixosConfigurations.\"${attr}\".config.system.build.toplevel' or 'nixosConfigurations.\"${attr}\".config.system.build.toplevel'";
      system =
        if outputs ? nixosConfigurations && outputs.nixosConfigurations ? ${attr} then
          outputs.nixosConfigurations.${attr}
        else
          throw "flake '${ref}' does not provide attribute ${tried}";
    in
    if !(system._tabulaNixosSystem or false) then
      throw "nixosConfigurations.\"${attr}\" of flake '${ref}' was not made with nixpkgs.lib.nixosSystem (the stand-in evaluates only that form)"
    else
      {
        modules = system.modules or [ ];
        specialArgs = system.specialArgs or { };
      };
  fromFile = {
    modules = [ (/. + configuration) ];
    specialArgs = { };
  };
  chosen =
    if flake != "" then
      fromFlake
    else if configuration != "" then
      fromFile
    else
      throw "eval.nix: give --argstr flake DIR (and attr) or --argstr configuration FILE";

  # nix.package as nixos/modules/services/system/nix-daemon.nix declares it,
  # with the chosen name: what a generated module may read (pname, version).
  parsed = b.parseDrvName nixPackage;
  nixPackageModule = {
    options.nix.package = lib.mkOption {
      type = lib.types.package;
      default = {
        type = "derivation";
        name = nixPackage;
        pname = parsed.name;
        inherit (parsed) version;
        outPath = fakeDrv nixPackage;
      };
    };
  };

  evaluated = lib.evalModules {
    modules = [
      ./nixos-stubs.nix
      nixPackageModule
    ]
    ++ b.map wrapImport chosen.modules;
    specialArgs = baseArgs // chosen.specialArgs;
  };
  report = import ./report.nix {
    inherit lib;
    inherit (evaluated) config options;
    evaluator = {
      lib = if realLib then "nixpkgs.lib" else "stand-in";
      impermanence = if realImpermanence then "real" else "stub";
    };
  };
  failed = report.assertions;
  checked =
    if failOnAssertions && failed != [ ] then
      throw "\nFailed assertions:\n${b.concatStringsSep "\n" (b.map (m: "- ${m}") failed)}"
    else if failOnAssertions then
      b.foldl' (r: w: b.trace "warning: ${w}" r) report report.warnings
    else
      report;
in
checked
