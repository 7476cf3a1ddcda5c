// Lint rules, including the layering rule of ../shared/spec/architecture.md: imports point one way.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const nodeBuiltins = { group: ["node:*"], message: "This package is pure (Node and browser): no Node APIs." };
const pkg = (names) => ({
  group: names.map((n) => `@membrane/${n}`),
  message: "Layering: this package may not import that one (see spec/architecture.md).",
});

export default tseslint.config(
  { ignores: ["node_modules/**", "**/dist/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      // V8 makes an object literal with an accessor a dictionary-mode object whose AccessorPair is
      // allocated in old space: made per request, it kept the request reachable until a full GC
      // and made every scavenge of the HTTP proxy copy it (packages/proxy/src/http/headers.ts).
      "no-restricted-syntax": [
        "error",
        {
          selector: "ObjectExpression > Property[kind=/^(get|set)$/]",
          message: "No getters or setters in object literals (V8 allocates their AccessorPair in old space): use a class.",
        },
      ],
    },
  },
  {
    files: ["packages/engine/src/**/*.ts"],
    ignores: ["**/*.test.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: [nodeBuiltins, pkg(["*"])] }] },
  },
  {
    files: ["packages/manifest/src/**/*.ts"],
    ignores: ["**/*.test.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: [nodeBuiltins, pkg(["cli", "agent", "datapath", "proxy", "web", "api"])] }] },
  },
  {
    files: ["packages/proxy/src/**/*.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: [pkg(["cli", "agent", "datapath", "web"])] }] },
  },
  {
    files: ["packages/datapath/src/**/*.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: [pkg(["cli", "agent", "proxy", "web", "api"])] }] },
  },
  {
    files: ["packages/inputs/src/**/*.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: [pkg(["cli", "agent", "datapath", "proxy", "web"])] }] },
  },
  {
    files: ["packages/agent/src/**/*.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: [pkg(["cli", "web"])] }] },
  },
  {
    files: ["packages/cli/src/**/*.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: [pkg(["agent", "datapath", "proxy", "web"])] }] },
  },
);
