# A small NixOS module system, and the part of nixpkgs' `lib` that
# hardware-configuration.nix and typical configurations use, for the test
# stand-ins when no checkout of nixpkgs.lib is available (CI).
#
# Written for Tabula, not copied. It keeps the rules documented in nixpkgs
# lib/modules.nix (evalModules, pushDownProperties, dischargeProperties,
# filterOverrides, sortProperties, collectModules), lib/types.nix and
# lib/options.nix (mergeEqualOption, mergeDefaultOption), in the form the
# real lib gives, so that both evaluate the fixtures to the same JSON:
#   - modules: paths, functions of { config, options, lib, ... } and
#     attrsets, `imports` collected breadth-first and deduplicated by key
#     (genericClosure, as collectModules does); definitions are merged in the
#     reverse of that order, and a submodule's definitions once more in
#     reverse (a submodule is an evalModules of its own);
#   - mkIf / mkMerge / mkOverride pushed into attribute sets at option-set
#     level (so `config = mkIf cfg.enable {...}` is lazy in its condition),
#     discharged at option level; priorities filtered per option and per
#     attribute of attrsOf; mkOrder (mkBefore/mkAfter) sorted stably;
#   - options declared with mkOption and types; undeclared definitions merge
#     freely: attribute sets recursively, lists concatenated (the real
#     types.anything would instead require equal lists), other values equal
#     or "has conflicting definition values".
# Not modelled: `_module.args` (arguments come from specialArgs), option
# `apply` chains beyond one, `freeformType` (everything undeclared is free),
# type checks beyond the basic types, documentation attributes.
let
  b = builtins;

  lib = rec {
    # --- trivial --------------------------------------------------------------
    id = x: x;
    const = x: _: x;
    flip =
      f: a: c:
      f c a;
    pipe = x: fs: b.foldl' (acc: f: f acc) x fs;
    min = x: y: if x < y then x else y;
    max = x: y: if x > y then x else y;
    mod = base: int: base - (int * (b.div base int));
    boolToString = v: if v then "true" else "false";
    warn = msg: v: b.trace "warning: ${msg}" v;
    warnIf = cond: msg: if cond then warn msg else id;
    throwIf = cond: msg: if cond then throw msg else id;
    throwIfNot = cond: msg: if cond then id else throw msg;
    assertMsg = pred: msg: pred || throw msg;
    version = "25.11.00000000.tabula";
    release = "25.11";
    trivial = {
      inherit
        id
        const
        flip
        pipe
        min
        max
        mod
        boolToString
        warn
        warnIf
        throwIf
        throwIfNot
        version
        release
        ;
    };
    inherit (b)
      isAttrs
      isList
      isString
      isBool
      isInt
      isFloat
      isFunction
      isPath
      typeOf
      toString
      toJSON
      fromJSON
      readFile
      pathExists
      seq
      deepSeq
      ;
    isDerivation = v: isAttrs v && (v.type or null) == "derivation";
    isStringLike = v: isString v || isPath v || (isAttrs v && (v ? outPath || v ? __toString));
    fileContents = f: removeSuffix "\n" (b.readFile f);

    # --- lists ----------------------------------------------------------------
    inherit (b)
      map
      filter
      length
      head
      tail
      elem
      elemAt
      concatLists
      genList
      all
      any
      sort
      foldl'
      ;
    foldl = f: nul: list: b.foldl' f nul list;
    foldr =
      op: nul: list:
      let
        len = b.length list;
        go = n: if n == len then nul else op (b.elemAt list n) (go (n + 1));
      in
      go 0;
    concatMap = f: list: b.concatLists (b.map f list);
    flatten = x: if isList x then concatMap flatten x else [ x ];
    optional = cond: elem: if cond then [ elem ] else [ ];
    optionals = cond: elems: if cond then elems else [ ];
    toList = x: if isList x then x else [ x ];
    imap0 = f: list: b.genList (n: f n (b.elemAt list n)) (b.length list);
    imap1 = f: list: b.genList (n: f (n + 1) (b.elemAt list n)) (b.length list);
    range = first: last: if first > last then [ ] else b.genList (n: first + n) (last - first + 1);
    reverseList =
      xs:
      let
        l = b.length xs;
      in
      b.genList (n: b.elemAt xs (l - n - 1)) l;
    last = list: b.elemAt list (b.length list - 1);
    init = list: b.genList (n: b.elemAt list n) (b.length list - 1);
    count = pred: list: b.length (b.filter pred list);
    findFirst =
      pred: default: list:
      let
        found = b.filter pred list;
      in
      if found == [ ] then default else b.head found;
    unique = b.foldl' (acc: e: if b.elem e acc then acc else acc ++ [ e ]) [ ];
    take = n: list: b.genList (i: b.elemAt list i) (min n (b.length list));
    drop = n: list: b.genList (i: b.elemAt list (i + n)) (max 0 (b.length list - n));
    sublist =
      start: n: list:
      take n (drop start list);
    intersectLists = e: b.filter (x: b.elem x e);
    subtractLists = e: b.filter (x: !(b.elem x e));
    partition = pred: list: {
      right = b.filter pred list;
      wrong = b.filter (x: !(pred x)) list;
    };
    lists = {
      inherit
        foldl
        foldr
        concatMap
        flatten
        optional
        optionals
        toList
        imap0
        imap1
        range
        reverseList
        last
        init
        count
        findFirst
        unique
        take
        drop
        sublist
        intersectLists
        subtractLists
        partition
        ;
    };

    # --- attribute sets -------------------------------------------------------
    inherit (b)
      attrNames
      attrValues
      mapAttrs
      listToAttrs
      hasAttr
      getAttr
      removeAttrs
      intersectAttrs
      catAttrs
      zipAttrsWith
      ;
    nameValuePair = name: value: { inherit name value; };
    genAttrs = names: f: b.listToAttrs (b.map (n: nameValuePair n (f n)) names);
    filterAttrs =
      pred: set:
      b.listToAttrs (
        concatMap (
          name:
          let
            v = set.${name};
          in
          if pred name v then [ (nameValuePair name v) ] else [ ]
        ) (b.attrNames set)
      );
    mapAttrs' = f: set: b.listToAttrs (b.map (attr: f attr set.${attr}) (b.attrNames set));
    mapAttrsToList = f: attrs: b.map (name: f name attrs.${name}) (b.attrNames attrs);
    concatMapAttrs = f: v: b.foldl' (a: x: a // x) { } (mapAttrsToList f v);
    attrByPath =
      attrPath: default: set:
      if attrPath == [ ] then
        set
      else
        let
          n = b.head attrPath;
        in
        if isAttrs set && set ? ${n} then attrByPath (b.tail attrPath) default set.${n} else default;
    hasAttrByPath =
      attrPath: set:
      attrPath == [ ]
      || (
        let
          n = b.head attrPath;
        in
        isAttrs set && set ? ${n} && hasAttrByPath (b.tail attrPath) set.${n}
      );
    getAttrFromPath =
      attrPath: set:
      attrByPath attrPath (throw "cannot find attribute `${b.concatStringsSep "." attrPath}'") set;
    setAttrByPath =
      attrPath: value:
      if attrPath == [ ] then value else { ${b.head attrPath} = setAttrByPath (b.tail attrPath) value; };
    optionalAttrs = cond: as: if cond then as else { };
    zipAttrs = b.zipAttrsWith (_: vs: vs);
    recursiveUpdateUntil =
      pred: lhs: rhs:
      let
        f =
          attrPath:
          b.zipAttrsWith (
            n: values:
            let
              here = attrPath ++ [ n ];
            in
            if b.length values == 1 || pred here (b.elemAt values 1) (b.head values) then
              b.head values
            else
              f here values
          );
      in
      f [ ] [
        rhs
        lhs
      ];
    recursiveUpdate = recursiveUpdateUntil (
      path: lhs: rhs:
      !(isAttrs lhs && isAttrs rhs)
    );
    foldAttrs =
      op: nul: list_of_attrs:
      b.foldl' (a: n: b.foldl' (acc: name: acc // { ${name} = op n.${name} (acc.${name} or nul); }) a (b.attrNames n)) { } (
        reverseList list_of_attrs
      );
    attrsets = {
      inherit
        nameValuePair
        genAttrs
        filterAttrs
        mapAttrs'
        mapAttrsToList
        concatMapAttrs
        attrByPath
        hasAttrByPath
        getAttrFromPath
        setAttrByPath
        optionalAttrs
        zipAttrs
        recursiveUpdate
        recursiveUpdateUntil
        foldAttrs
        isDerivation
        ;
      inherit (b)
        attrNames
        attrValues
        mapAttrs
        listToAttrs
        catAttrs
        zipAttrsWith
        ;
    };

    # --- strings --------------------------------------------------------------
    inherit (b)
      concatStringsSep
      replaceStrings
      stringLength
      substring
      match
      split
      ;
    concatStrings = b.concatStringsSep "";
    concatMapStrings = f: list: concatStrings (b.map f list);
    concatMapStringsSep =
      sep: f: list:
      b.concatStringsSep sep (b.map f list);
    concatLines = list: concatMapStrings (s: s + "\n") list;
    optionalString = cond: s: if cond then s else "";
    hasPrefix = pref: str: b.substring 0 (b.stringLength pref) str == pref;
    hasSuffix =
      suffix: content:
      let
        lc = b.stringLength content;
        ls = b.stringLength suffix;
      in
      lc >= ls && b.substring (lc - ls) lc content == suffix;
    hasInfix = infix: content: b.match ".*${escapeRegex infix}.*" content != null;
    removePrefix =
      prefix: str:
      if hasPrefix prefix str then
        b.substring (b.stringLength prefix) (b.stringLength str - b.stringLength prefix) str
      else
        str;
    removeSuffix =
      suffix: str:
      if hasSuffix suffix str then b.substring 0 (b.stringLength str - b.stringLength suffix) str else str;
    splitString =
      sep: s:
      b.map (x: if isList x then "" else x) (
        b.filter (x: !(isList x)) (b.split (escapeRegex sep) s)
      );
    escapeRegex = b.replaceStrings (b.map (c: c) (stringToCharacters "\\[{()^$?*+|.")) (
      b.map (c: "\\${c}") (stringToCharacters "\\[{()^$?*+|.")
    );
    stringToCharacters = s: b.genList (p: b.substring p 1 s) (b.stringLength s);
    escape = list: b.replaceStrings list (b.map (c: "\\${c}") list);
    escapeShellArg = arg: "'${b.replaceStrings [ "'" ] [ "'\\''" ] (b.toString arg)}'";
    escapeShellArgs = concatMapStringsSep " " escapeShellArg;
    toUpper = b.replaceStrings lowerChars upperChars;
    toLower = b.replaceStrings upperChars lowerChars;
    lowerChars = stringToCharacters "abcdefghijklmnopqrstuvwxyz";
    upperChars = stringToCharacters "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    trim =
      s:
      let
        m = b.match "[[:space:]]*(.*[^[:space:]])[[:space:]]*" s;
      in
      if m == null then "" else b.head m;
    versionOlder = v1: v2: b.compareVersions v2 v1 == 1;
    getName = x: if b.isString x then (b.parseDrvName x).name else x.pname or (b.parseDrvName x.name).name;
    getVersion =
      x: if b.isString x then (b.parseDrvName x).version else x.version or (b.parseDrvName x.name).version;
    versionAtLeast = v1: v2: !(versionOlder v1 v2);
    strings = {
      inherit
        concatStrings
        concatMapStrings
        concatMapStringsSep
        concatLines
        optionalString
        hasPrefix
        hasSuffix
        hasInfix
        removePrefix
        removeSuffix
        splitString
        escapeRegex
        stringToCharacters
        escape
        escapeShellArg
        escapeShellArgs
        toUpper
        toLower
        trim
        versionOlder
        versionAtLeast
        isStringLike
        fileContents
        ;
      inherit (b) concatStringsSep replaceStrings stringLength substring;
    };
    systems.flakeExposed = [
      "x86_64-linux"
      "aarch64-linux"
      "x86_64-darwin"
      "aarch64-darwin"
    ];

    # --- module properties (the same shapes as nixpkgs' lib) -------------------
    mkIf = condition: content: {
      _type = "if";
      inherit condition content;
    };
    mkMerge = contents: {
      _type = "merge";
      inherit contents;
    };
    mkOverride = priority: content: {
      _type = "override";
      inherit priority content;
    };
    mkOptionDefault = mkOverride 1500;
    mkDefault = mkOverride 1000;
    mkImageMediaOverride = mkOverride 60;
    mkForce = mkOverride 50;
    mkVMOverride = mkOverride 10;
    mkOrder = priority: content: {
      _type = "order";
      inherit priority content;
    };
    mkBefore = mkOrder 500;
    mkAfter = mkOrder 1500;
    defaultOverridePriority = 100;
    defaultOrderPriority = 1000;
    mkOption = attrs: attrs // { _type = "option"; };
    mkEnableOption =
      name:
      mkOption {
        default = false;
        type = types.bool;
        description = "Whether to enable ${name}.";
      };
    mkPackageOption =
      pkgs: name: extra:
      mkOption ({ type = types.package; } // removeAttrs extra [ "default" "extraDescription" "pkgsText" ]);
    literalExpression = text: {
      _type = "literalExpression";
      inherit text;
    };
    literalExample = literalExpression;
    literalMD = text: {
      _type = "literalMD";
      inherit text;
    };
    mdDoc = id;
    # Renames and removals only matter to the real module system's warnings.
    mkRenamedOptionModule = from: to: { };
    mkRemovedOptionModule = optionName: replacementInstructions: { };
    mkAliasOptionModule = from: to: { };
    mkChangedOptionModule =
      from: to: changeFn:
      { };
    setDefaultModuleLocation = file: m: {
      _file = file;
      imports = [ m ];
    };
    modules = {
      inherit
        mkIf
        mkMerge
        mkOverride
        mkDefault
        mkForce
        mkOrder
        mkBefore
        mkAfter
        evalModules
        setDefaultModuleLocation
        ;
      importApply =
        modulePath: staticArg:
        setDefaultModuleLocation modulePath (import modulePath staticArg);
    };
    options = {
      inherit
        mkOption
        mkEnableOption
        mkPackageOption
        literalExpression
        showOption
        mergeEqualOption
        mergeDefaultOption
        mergeOneOption
        ;
    };

    # --- showing options and definitions ------------------------------------------
    showOption =
      loc:
      b.concatStringsSep "." (
        b.map (
          part:
          if b.match "[a-zA-Z_][a-zA-Z0-9_'-]*" part != null || part == "<name>" || part == "*" then
            part
          else
            b.toJSON part
        ) loc
      );
    showValue =
      v:
      if isFunction v then
        "<function>"
      else if isAttrs v && v ? _type then
        "<${v._type}>"
      else
        b.toJSON v;
    showDefs = defs: concatMapStrings (def: "\n- In `${def.file}': ${showValue def.value}") defs;
    showFiles = files: concatMapStringsSep ", " (f: "`${f}'") files;
    prioritySuggestion = "Use `lib.mkForce value` or `lib.mkDefault value` to change the priority on any of these definitions.";

    # --- merge functions (what lib/options.nix documents) -----------------------
    getValues = b.map (d: d.value);
    getFiles = b.map (d: d.file);
    mergeEqualOption =
      loc: defs:
      if b.length defs == 1 then
        (b.head defs).value
      else
        (b.foldl' (
          first: def:
          if def.value != first.value then
            throw "The option `${showOption loc}' has conflicting definition values:${
              showDefs [
                first
                def
              ]
            }\n${prioritySuggestion}"
          else
            first
        ) (b.head defs) (b.tail defs)).value;
    mergeOneOption =
      loc: defs:
      if b.length defs == 1 then
        (b.head defs).value
      else
        throw "The unique option `${showOption loc}' is defined multiple times. Definition values:${showDefs defs}";
    mergeDefaultOption =
      loc: defs:
      let
        list = getValues defs;
      in
      if b.length list == 1 then
        b.head list
      else if b.all isFunction list then
        x: mergeDefaultOption loc (b.map (d: d // { value = d.value x; }) defs)
      else if b.all isList list then
        b.concatLists list
      else if b.all isAttrs list then
        b.foldl' (a: v: a // v) { } list
      else if b.all isBool list then
        b.foldl' (a: v: a || v) false list
      else if b.all isString list then
        concatStrings list
      else if b.all isInt list && b.all (x: x == b.head list) list then
        b.head list
      else
        throw "Cannot merge definitions of `${showOption loc}'. Definition values:${showDefs defs}";

    # --- properties: discharge, priorities, order ------------------------------------
    propType = v: if isAttrs v then v._type or "" else "";
    # mkMerge and mkIf at the top of one definition's value.
    discharge =
      v:
      let
        t = propType v;
      in
      if t == "merge" then
        concatMap discharge v.contents
      else if t == "if" then
        (
          if isBool v.condition then
            (if v.condition then discharge v.content else [ ])
          else
            throw "mkIf called with a non-Boolean condition"
        )
      else
        [ v ];
    # Only the definitions of the highest priority (the lowest number) stay.
    filterOverrides =
      defs:
      let
        prio = d: if propType d.value == "override" then d.value.priority else defaultOverridePriority;
        highest = b.foldl' (p: d: min p (prio d)) 100000 defs;
        strip = d: if propType d.value == "override" then d // { value = d.value.content; } else d;
      in
      b.map strip (b.filter (d: prio d == highest) defs);
    sortProperties =
      defs:
      let
        strip =
          d:
          if propType d.value == "order" then
            d
            // {
              value = d.value.content;
              order = d.value.priority;
            }
          else
            d // { order = defaultOrderPriority; };
      in
      b.sort (a: c: a.order < c.order) (b.map strip defs);
    # At option-set level: push mkIf/mkOverride into the attributes and
    # splice mkMerge, without evaluating conditions.
    pushDown =
      v:
      let
        t = propType v;
      in
      if t == "merge" then
        concatMap pushDown v.contents
      else if t == "if" then
        b.map (b.mapAttrs (n: x: mkIf v.condition x)) (pushDown v.content)
      else if t == "override" then
        b.map (b.mapAttrs (n: x: mkOverride v.priority x)) (pushDown v.content)
      else
        [ v ];

    # One option's definitions -> { isDefined, value }.
    mergeDefinitions =
      loc: type: defs:
      let
        discharged = concatMap (d: b.map (v: d // { value = v; }) (discharge d.value)) defs;
        final = sortProperties (filterOverrides discharged);
        invalid = b.filter (d: !(type.check d.value)) final;
        merged =
          if invalid == [ ] then
            type.merge loc final
          else
            throw "A definition for option `${showOption loc}' is not of type `${type.description}'. Definition values:${showDefs invalid}";
      in
      {
        isDefined = final != [ ];
        value = if final != [ ] then merged else throw "The option `${showOption loc}' is used but not defined.";
      };

    # --- types ------------------------------------------------------------------------
    isType = t: x: (x._type or "") == t;
    isOption = x: isAttrs x && (x._type or "") == "option";
    mkOptionType =
      {
        name,
        description ? name,
        check ? (x: true),
        merge ? mergeDefaultOption,
        getSubModules ? null,
        ...
      }@attrs:
      attrs
      // {
        _type = "option-type";
        inherit
          name
          description
          check
          merge
          getSubModules
          ;
      };
    types = rec {
      inherit isType mkOptionType;
      unspecified = mkOptionType { name = "unspecified"; };
      raw = mkOptionType {
        name = "raw";
        merge = mergeOneOption;
      };
      bool = mkOptionType {
        name = "bool";
        description = "boolean";
        check = isBool;
        merge = mergeEqualOption;
      };
      int = mkOptionType {
        name = "int";
        description = "signed integer";
        check = isInt;
        merge = mergeEqualOption;
      };
      ints = {
        unsigned = addCheck int (x: x >= 0);
        positive = addCheck int (x: x > 0);
        u8 = addCheck int (x: x >= 0 && x < 256);
        u16 = addCheck int (x: x >= 0 && x < 65536);
        u32 = addCheck int (x: x >= 0 && x < 4294967296);
        between = lowest: highest: addCheck int (x: x >= lowest && x <= highest);
      };
      port = ints.u16;
      float = mkOptionType {
        name = "float";
        check = isFloat;
        merge = mergeEqualOption;
      };
      number = either int float;
      str = mkOptionType {
        name = "str";
        description = "string";
        check = isString;
        merge = mergeEqualOption;
      };
      nonEmptyStr = addCheck str (s: trim s != "");
      singleLineStr = addCheck str (s: b.match "[^\n]*\n?" s != null);
      strMatching =
        pattern:
        addCheck str (s: b.match pattern s != null)
        // {
          description = "string matching the pattern ${pattern}";
        };
      passwdEntry = t: t;
      separatedString =
        sep:
        mkOptionType {
          name = "separatedString";
          description = "strings concatenated with ${b.toJSON sep}";
          check = isString;
          merge = loc: defs: b.concatStringsSep sep (getValues defs);
        };
      lines = separatedString "\n";
      commas = separatedString ",";
      envVar = separatedString ":";
      path = mkOptionType {
        name = "path";
        check = x: isPath x || (isStringLike x && hasPrefix "/" (b.toString x));
        merge = mergeEqualOption;
      };
      pathInStore = path;
      package = mkOptionType {
        name = "package";
        check = x: isDerivation x || isStringLike x;
        merge = mergeOneOption;
      };
      shellPackage = package;
      attrs = mkOptionType {
        name = "attrs";
        description = "attribute set";
        check = isAttrs;
        merge = loc: defs: b.foldl' (a: d: a // d.value) { } defs;
      };
      enum =
        values:
        mkOptionType {
          name = "enum";
          description = "one of ${concatMapStringsSep ", " b.toJSON values}";
          check = x: b.elem x values;
          merge = mergeEqualOption;
        };
      anything = mkOptionType {
        name = "anything";
        check = x: true;
        merge =
          loc: defs:
          let
            values = getValues defs;
          in
          if b.all (v: isAttrs v && !(isDerivation v)) values then
            (attrsOf anything).merge loc defs
          else if b.all isList values then
            # Deliberately concatenated (documented at the top of this file).
            b.concatLists values
          else if b.all isFunction values then
            (if b.length defs == 1 then b.head values else mergeOneOption loc defs)
          else
            mergeEqualOption loc defs;
      };
      listOf =
        elemType:
        mkOptionType {
          name = "listOf";
          description = "list of ${elemType.description}";
          check = isList;
          merge =
            loc: defs:
            b.map (x: x.value) (
              b.filter (x: x.isDefined) (
                b.concatLists (
                  imap1 (
                    n: def:
                    imap1 (
                      m: v:
                      mergeDefinitions (loc ++ [ "[definition ${b.toString n}-entry ${b.toString m}]" ]) elemType [
                        {
                          inherit (def) file;
                          value = v;
                        }
                      ]
                    ) def.value
                  ) defs
                )
              )
            );
          getSubModules = elemType.getSubModules;
          nestedType = elemType;
        };
      nonEmptyListOf = elemType: addCheck (listOf elemType) (l: l != [ ]);
      attrsWith =
        lazy: elemType:
        mkOptionType {
          name = if lazy then "lazyAttrsOf" else "attrsOf";
          description = "attribute set of ${elemType.description}";
          check = isAttrs;
          merge =
            loc: defs:
            let
              names = b.attrNames (b.foldl' (a: d: a // d.value) { } defs);
              merged = genAttrs names (
                name:
                mergeDefinitions (loc ++ [ name ]) elemType (
                  concatMap (
                    d:
                    if d.value ? ${name} then
                      [
                        {
                          inherit (d) file;
                          value = d.value.${name};
                        }
                      ]
                    else
                      [ ]
                  ) defs
                )
              );
            in
            if lazy then
              b.mapAttrs (n: m: m.value) merged
            else
              b.mapAttrs (n: m: m.value) (filterAttrs (n: m: m.isDefined) merged);
          getSubModules = elemType.getSubModules;
          nestedType = elemType;
        };
      attrsOf = attrsWith false;
      lazyAttrsOf = attrsWith true;
      uniq = t: t // { merge = mergeOneOption; };
      unique = { message }: uniq;
      nullOr =
        elemType:
        mkOptionType {
          name = "nullOr";
          description = "null or ${elemType.description}";
          check = x: x == null || elemType.check x;
          merge =
            loc: defs:
            let
              nulls = count (d: d.value == null) defs;
            in
            if nulls == b.length defs then
              null
            else if nulls != 0 then
              throw "The option `${showOption loc}` is defined both null and not null, in ${showFiles (getFiles defs)}."
            else
              elemType.merge loc defs;
          getSubModules = elemType.getSubModules;
        };
      either =
        t1: t2:
        mkOptionType {
          name = "either";
          description = "${t1.description} or ${t2.description}";
          check = x: t1.check x || t2.check x;
          merge =
            loc: defs:
            let
              values = getValues defs;
            in
            if b.all t1.check values then
              t1.merge loc defs
            else if b.all t2.check values then
              t2.merge loc defs
            else
              mergeOneOption loc defs;
        };
      oneOf = ts: b.foldl' either (b.head ts) (b.tail ts);
      coercedTo =
        coercedType: coerceFunc: finalType:
        mkOptionType {
          name = "coercedTo";
          description = "${finalType.description} or ${coercedType.description} convertible to it";
          check = x: (coercedType.check x && finalType.check (coerceFunc x)) || finalType.check x;
          merge =
            loc: defs:
            finalType.merge loc (
              b.map (
                d: d // { value = if coercedType.check d.value && !(finalType.check d.value) then coerceFunc d.value else d.value; }
              ) defs
            );
          getSubModules = finalType.getSubModules;
        };
      addCheck = t: f: t // { check = x: t.check x && f x; };
      functionTo =
        elemType:
        mkOptionType {
          name = "functionTo";
          description = "function that evaluates to a(n) ${elemType.description}";
          check = isFunction;
          merge =
            loc: defs: fnArgs:
            (mergeDefinitions (loc ++ [ "<function body>" ]) elemType (
              b.map (d: d // { value = d.value fnArgs; }) defs
            )).value;
        };
      deferredModule = mkOptionType {
        name = "deferredModule";
        check = x: isAttrs x || isFunction x || isPath x;
        merge = loc: defs: { imports = b.map (d: setDefaultModuleLocation d.file d.value) defs; };
      };
      submoduleWith =
        {
          modules,
          specialArgs ? { },
          shorthandOnlyDefinesConfig ? false,
          ...
        }:
        mkOptionType {
          name = "submodule";
          description = "submodule";
          check = x: isAttrs x || isFunction x || isPath x;
          merge =
            loc: defs:
            (evalModules {
              modules =
                modules
                ++ b.map (
                  d:
                  if isAttrs d.value && shorthandOnlyDefinesConfig then
                    {
                      _file = d.file;
                      config = d.value;
                    }
                  else
                    {
                      _file = d.file;
                      imports = [ d.value ];
                    }
                ) defs;
              specialArgs = specialArgs // {
                name = last loc;
              };
              prefix = loc;
            }).config;
          getSubModules = modules;
          submoduleArgs = { inherit specialArgs shorthandOnlyDefinesConfig; };
        };
      submodule =
        m:
        submoduleWith {
          modules = toList m;
          shorthandOnlyDefinesConfig = true;
        };
      optionType = raw;
    };

    # --- declarations --------------------------------------------------------------------
    # Several modules may declare the same option: submodule types combine
    # their modules; otherwise the first declaration counts.
    combineOptions =
      opts:
      let
        first = b.head opts;
        withDefault = b.filter (o: o ? default) opts;
        subs = b.filter (o: (o.type or null) != null && o.type.name == "submodule") opts;
      in
      first
      // optionalAttrs (withDefault != [ ]) { default = (b.head withDefault).default; }
      // optionalAttrs (b.length subs > 1) {
        type = types.submoduleWith (
          (b.head subs).type.submoduleArgs
          // {
            modules = concatMap (o: o.type.getSubModules) subs;
          }
        );
      };
    mergeDecls =
      trees:
      let
        opts = b.filter isOption trees;
        sets = b.filter (t: isAttrs t && !(isOption t)) trees;
      in
      if opts != [ ] then combineOptions opts else b.zipAttrsWith (n: vs: mergeDecls vs) sets;

    # --- option sets and options ------------------------------------------------------------
    # Definitions of an option set: pushed down, then split per attribute.
    mergeSet =
      loc: decls: defs:
      let
        pushed = concatMap (
          d:
          b.map (
            v:
            if isAttrs v then
              d // { value = v; }
            else
              throw "A definition for option set `${showOption loc}' is not an attribute set. Definition values:${
                showDefs [ (d // { value = v; }) ]
              }"
          ) (pushDown d.value)
        ) defs;
        names = b.attrNames (b.foldl' (a: d: a // d.value) decls pushed);
        childDefs =
          name:
          concatMap (
            d:
            if d.value ? ${name} then
              [
                {
                  inherit (d) file;
                  value = d.value.${name};
                }
              ]
            else
              [ ]
          ) pushed;
      in
      genAttrs (b.filter (n: n != "_module") names) (
        name:
        let
          decl = decls.${name} or null;
          here = loc ++ [ name ];
        in
        if decl == null then
          (mergeDefinitions here types.anything (childDefs name)).value
        else if isOption decl then
          mergeOption here decl (childDefs name)
        else
          mergeSet here decl (childDefs name)
      );
    mergeOption =
      loc: opt: defs:
      let
        type = opt.type or types.unspecified;
        withDefault =
          (optional (opt ? default) {
            file = "<default of ${showOption loc}>";
            value = mkOptionDefault opt.default;
          })
          ++ defs;
        merged = mergeDefinitions loc type withDefault;
        value =
          if merged.isDefined then
            merged.value
          else
            throw "The option `${showOption loc}' was accessed but has no value defined. Try setting the option.";
      in
      if opt ? apply then opt.apply value else value;

    # --- modules -------------------------------------------------------------------------
    knownModuleAttrs = [
      "_class"
      "_file"
      "key"
      "disabledModules"
      "imports"
      "options"
      "config"
      "meta"
      "freeformType"
    ];
    unifyModule =
      file: key: m:
      let
        structured = m ? config || m ? options;
        extra = b.filter (n: !(b.elem n knownModuleAttrs)) (b.attrNames m);
        file' = b.toString (m._file or file);
      in
      if structured && extra != [ ] then
        throw "Module `${file'}' has an unsupported attribute `${b.head extra}'. This is caused by introducing a top-level `config' or `options' attribute. Add configuration attributes immediately on the top level instead, or move all of them (namely: ${b.concatStringsSep " " extra}) into the explicit `config' attribute."
      else
        {
          file = file';
          inherit key;
          imports = m.imports or [ ];
          disabledModules = m.disabledModules or [ ];
          options = if structured then m.options or { } else { };
          config =
            if structured then
              m.config or { }
            else
              removeAttrs m [
                "_class"
                "_file"
                "key"
                "disabledModules"
                "imports"
                "meta"
                "freeformType"
              ];
        };
    evalModules =
      {
        modules,
        specialArgs ? { },
        prefix ? [ ],
        ...
      }:
      let
        args = specialArgs // {
          inherit lib config;
          options = declarations;
          specialArgs = specialArgs;
        };
        load =
          file: key: m:
          if isPath m || isString m then
            load (b.toString m) (b.toString m) (import m)
          else if isFunction m then
            unifyModule file key (m args)
          else if isAttrs m then
            unifyModule file key m
          else
            throw "A module in `${file}' is neither a path, a function nor an attribute set.";
        item = file: key: m: {
          inherit key;
          module = load file key m;
        };
        keyOf =
          parent: n: m:
          if isPath m || isString m then b.toString m else "${parent}:anon-${b.toString n}";
        start = imap1 (n: m: item "<unknown-file>" (keyOf "" n m) m) modules;
        closure = b.genericClosure {
          startSet = start;
          operator =
            it: imap1 (n: m: item it.module.file (keyOf it.key n m) m) it.module.imports;
        };
        disabled = b.map (
          m: if isString m && !(hasPrefix "/" m) then b.toString (specialArgs.modulesPath or "/") + "/" + m else b.toString m
        ) (concatMap (it: it.module.disabledModules) closure);
        collected = b.map (it: it.module) (b.filter (it: !(b.elem it.key disabled)) closure);
        declarations = mergeDecls (b.map (m: m.options) collected);
        config = mergeSet prefix declarations (
          reverseList (
            b.map (m: {
              inherit (m) file;
              value = m.config;
            }) collected
          )
        );
      in
      {
        _type = "configuration";
        inherit config;
        options = declarations;
        class = "nixos";
      };
  };
in
lib
