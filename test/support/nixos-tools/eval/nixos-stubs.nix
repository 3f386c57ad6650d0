# Stand-ins for the NixOS options the stand-in tools report, declared with
# lib.mkOption/lib.types so the same file works with nixpkgs' lib and with
# ./standin-lib.nix. Everything else a configuration sets is accepted
# freely (the root's freeformType), as in /work/shared/tools/nixos-eval.
#
# The defaults and derived values follow these nixpkgs files (read, not
# copied):
#   nixos/modules/tasks/filesystems.nix          fileSystems.<name>.*, the label default of device
#   nixos/modules/config/swap.nix                swapDevices
#   nixos/modules/system/boot/luksroot.nix       boot.initrd.luks.devices.<name>.device
#   nixos/modules/system/boot/stage-1.nix        the root file system assertion
#   nixos/modules/system/boot/loader/grub/grub.nix
#       grub.enable defaults to true; grub.devices gets grub.device; with
#       devices, mirroredBoots is [{ path = "/boot"; devices; efiSysMountPoint; }];
#       the "You must set the option ‘boot.loader.grub.devices’" assertion
#   nixos/modules/system/boot/loader/systemd-boot/systemd-boot.nix
#       grub.enable = mkDefault false when systemd-boot is enabled
#   nixos/modules/system/boot/loader/efi.nix     efiSysMountPoint "/boot", canTouchEfiVariables false
#   nixos/modules/system/activation/top-level.nix  system.build.installBootLoader (two boot
#       loaders enabled at once give its "conflicting definition values" error)
#   nixos/modules/config/users-groups.nix        users.users.<name>.home/group (impermanence reads them)
# Not modelled: the options NixOS adds by itself (x-initrd.mount,
# x-systemd.*), fileSystems topological sort, system.stateVersion's default
# (null here: real NixOS falls back to its release and warns).
{
  config,
  lib,
  ...
}:
let
  inherit (lib)
    mkOption
    mkIf
    mkMerge
    mkDefault
    types
    optional
    optionals
    ;
  cfg = config.boot.loader;
  free = types.lazyAttrsOf types.anything;
  fileSystemOpts =
    { name, config, ... }:
    {
      freeformType = free;
      options = {
        mountPoint = mkOption {
          type = types.str;
          default = name;
        };
        device = mkOption {
          type = types.nullOr types.nonEmptyStr;
          default = null;
        };
        label = mkOption {
          type = types.nullOr types.str;
          default = null;
        };
        fsType = mkOption {
          type = types.nonEmptyStr;
          default = "auto";
        };
        options = mkOption {
          type = types.nonEmptyListOf types.nonEmptyStr;
          default = [ "defaults" ];
        };
        neededForBoot = mkOption {
          type = types.bool;
          default = false;
        };
        depends = mkOption {
          type = types.listOf types.str;
          default = [ ];
        };
        noCheck = mkOption {
          type = types.bool;
          default = false;
        };
      };
      config.device = mkIf (config.label != null) (mkDefault "/dev/disk/by-label/${config.label}");
    };
  swapOpts =
    { config, ... }:
    {
      freeformType = free;
      options = {
        device = mkOption {
          type = types.nullOr types.str;
          default = null;
        };
        label = mkOption {
          type = types.nullOr types.str;
          default = null;
        };
        randomEncryption = mkOption {
          type = types.coercedTo types.bool (enable: { inherit enable; }) (
            types.submodule {
              freeformType = free;
              options.enable = mkOption {
                type = types.bool;
                default = false;
              };
            }
          );
          default = { };
        };
      };
      config.device = mkIf (config.label != null) (mkDefault "/dev/disk/by-label/${config.label}");
    };
  mirroredBootOpts = {
    freeformType = free;
    options = {
      path = mkOption { type = types.str; };
      devices = mkOption {
        type = types.listOf types.str;
        default = [ ];
      };
      efiSysMountPoint = mkOption {
        type = types.nullOr types.str;
        default = null;
      };
      efiBootloaderId = mkOption {
        type = types.nullOr types.str;
        default = null;
      };
    };
  };
  userOpts =
    { name, config, ... }:
    {
      freeformType = free;
      options = {
        name = mkOption {
          type = types.str;
          default = name;
        };
        home = mkOption {
          type = types.str;
          default = "/var/empty";
        };
        group = mkOption {
          type = types.str;
          default = "";
        };
        uid = mkOption {
          type = types.nullOr types.int;
          default = null;
        };
        isNormalUser = mkOption {
          type = types.bool;
          default = false;
        };
      };
      config = mkIf config.isNormalUser {
        home = mkDefault "/home/${name}";
        group = mkDefault "users";
      };
    };
in
{
  options = {
    assertions = mkOption {
      type = types.listOf types.unspecified;
      default = [ ];
    };
    warnings = mkOption {
      type = types.listOf types.str;
      default = [ ];
    };
    fileSystems = mkOption {
      type = types.attrsOf (types.submodule fileSystemOpts);
      default = { };
    };
    swapDevices = mkOption {
      type = types.listOf (types.submodule swapOpts);
      default = [ ];
    };
    boot.initrd.luks.devices = mkOption {
      type = types.attrsOf (
        types.submodule {
          freeformType = free;
          options.device = mkOption { type = types.str; };
        }
      );
      default = { };
    };
    # Siblings of the options above that hardware-configuration.nix and
    # impermanence define: declared so that lists concatenate as in NixOS,
    # and so that the real lib never merges them as free-form values (its
    # free-form merge would evaluate impermanence's mkIf conditions, which
    # read config.boot.initrd, while computing config.boot.initrd).
    boot.initrd.availableKernelModules = mkOption {
      type = types.listOf types.str;
      default = [ ];
    };
    boot.initrd.kernelModules = mkOption {
      type = types.listOf types.str;
      default = [ ];
    };
    boot.initrd.postMountCommands = mkOption {
      type = types.lines;
      default = "";
    };
    boot.initrd.systemd = {
      enable = mkOption {
        type = types.bool;
        default = false;
      };
      mounts = mkOption {
        type = types.listOf types.anything;
        default = [ ];
      };
      services = mkOption {
        type = types.lazyAttrsOf types.anything;
        default = { };
      };
      suppressedUnits = mkOption {
        type = types.listOf types.str;
        default = [ ];
      };
    };
    boot.kernelModules = mkOption {
      type = types.listOf types.str;
      default = [ ];
    };
    boot.kernelParams = mkOption {
      type = types.listOf types.str;
      default = [ ];
    };
    boot.extraModulePackages = mkOption {
      type = types.listOf types.anything;
      default = [ ];
    };
    system.activationScripts = mkOption {
      type = types.lazyAttrsOf types.anything;
      default = { };
    };
    networking.useDHCP = mkOption {
      type = types.bool;
      default = true;
    };
    boot.loader = {
      timeout = mkOption {
        type = types.nullOr types.int;
        default = 5;
      };
      efi = {
        efiSysMountPoint = mkOption {
          type = types.str;
          default = "/boot";
        };
        canTouchEfiVariables = mkOption {
          type = types.bool;
          default = false;
        };
      };
      systemd-boot = {
        enable = mkOption {
          type = types.bool;
          default = false;
        };
        editor = mkOption {
          type = types.bool;
          default = true;
        };
        consoleMode = mkOption {
          type = types.str;
          default = "keep";
        };
        configurationLimit = mkOption {
          type = types.nullOr types.int;
          default = null;
        };
      };
      grub = {
        enable = mkOption {
          type = types.bool;
          default = true;
        };
        device = mkOption {
          type = types.str;
          default = "";
        };
        devices = mkOption {
          type = types.listOf types.str;
          default = [ ];
        };
        mirroredBoots = mkOption {
          type = types.listOf (types.submodule mirroredBootOpts);
          default = [ ];
        };
        efiSupport = mkOption {
          type = types.bool;
          default = false;
        };
        efiInstallAsRemovable = mkOption {
          type = types.bool;
          default = false;
        };
        copyKernels = mkOption {
          type = types.bool;
          default = false;
        };
        configurationLimit = mkOption {
          type = types.int;
          default = 100;
        };
      };
    };
    system.build.installBootLoader = mkOption {
      type = types.str;
      default = "none";
    };
    system.stateVersion = mkOption {
      type = types.nullOr types.str;
      default = null;
    };
    networking.hostName = mkOption {
      type = types.str;
      default = "nixos";
    };
    users.users = mkOption {
      type = types.attrsOf (types.submodule userOpts);
      default = { };
    };
    users.groups = mkOption {
      type = types.attrsOf (
        types.submodule {
          freeformType = free;
          options.gid = mkOption {
            type = types.nullOr types.int;
            default = null;
          };
        }
      );
      default = { };
    };
  };

  config = mkMerge [
    {
      _module.freeformType = free;
      users.users.root = {
        uid = 0;
        home = "/root";
        group = "root";
      };
      users.groups.root.gid = 0;
      assertions = [
        {
          assertion = lib.any (fs: fs.mountPoint == "/") (lib.attrValues config.fileSystems);
          message = "The ‘fileSystems’ option does not specify your root file system.";
        }
      ];
    }
    (mkIf cfg.grub.enable {
      boot.loader.grub.devices = optional (cfg.grub.device != "") cfg.grub.device;
      boot.loader.grub.mirroredBoots = optionals (cfg.grub.devices != [ ]) [
        {
          path = "/boot";
          inherit (cfg.grub) devices;
          inherit (cfg.efi) efiSysMountPoint;
        }
      ];
      system.build.installBootLoader = "grub";
      assertions = [
        {
          assertion = cfg.grub.mirroredBoots != [ ];
          message = "You must set the option ‘boot.loader.grub.devices’ or 'boot.loader.grub.mirroredBoots' to make the system bootable.";
        }
        {
          assertion = !(cfg.grub.efiInstallAsRemovable && cfg.efi.canTouchEfiVariables);
          message = "If you wish to to use boot.loader.grub.efiInstallAsRemovable, then turn off boot.loader.efi.canTouchEfiVariables";
        }
      ];
    })
    (mkIf cfg.systemd-boot.enable {
      boot.loader.grub.enable = mkDefault false;
      system.build.installBootLoader = "systemd-boot";
    })
  ];
}
