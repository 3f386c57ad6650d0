import js from "@eslint/js";
import tseslint from "typescript-eslint";
import vue from "eslint-plugin-vue";
import globals from "globals";
import tabula from "./build/eslint/layers.js";

export default tseslint.config(
  {
    ignores: [
      "node_modules/",
      "out/",
      "release/",
      "dist/",
      "coverage/",
      "test/.tmp/",
      "bench/.tmp/",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...vue.configs["flat/essential"],
  {
    files: ["**/*.vue"],
    languageOptions: {
      parserOptions: { parser: tseslint.parser, extraFileExtensions: [".vue"] },
    },
  },
  {
    languageOptions: { globals: { ...globals.es2023 } },
    plugins: { tabula },
    rules: {
      "tabula/layers": "error",
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
      ],
      "@typescript-eslint/consistent-type-imports": "error",
      eqeqeq: ["error", "smart"],
    },
  },
  {
    files: ["electron/**", "test/**", "bench/**", "build/**", "*.js", ".ci/**"],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ["renderer/**", "test/e2e/**"],
    languageOptions: { globals: { ...globals.browser } },
  },
);
