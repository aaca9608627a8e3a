// ESLint flat config. Layout is prettier's job (.prettierrc.json), layering is dependency-cruiser's
// (.dependency-cruiser.cjs): the rules here are about correctness. Typed linting is what catches a
// dropped promise, which the design asks for: every async handler's rejection must reach onError.
import js from "@eslint/js";
import { defineConfig, globalIgnores } from "eslint/config";
import globals from "globals";
import tseslint from "typescript-eslint";

/** Time is injected: src/ reads it from a Clock (src/clock/ is the one real implementation). */
const INJECTED_TIME = "Take a Clock (src/clock/) instead: time is injected so tests can run it with a fake clock";

export default defineConfig([
  globalIgnores(["dist/", "node_modules/", ".bench/", ".demo/", "run/", "coverage/"]),
  js.configs.recommended,
  {
    // The ordinary JavaScript rules written for `let` that is read by a closure before its one
    // assignment (a timer cancelled by a callback declared above it) would force a reordering.
    rules: { "prefer-const": ["error", { ignoreReadBeforeAssign: true }] },
  },
  {
    files: ["**/*.ts"],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // `_` marks a value left out on purpose (`const { secret: _, ...rest } = x`).
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_", ignoreRestSiblings: true },
      ],
      // Passing on what a `catch` caught is not inventing a non-Error rejection.
      "@typescript-eslint/prefer-promise-reject-errors": ["error", { allowThrowingUnknown: true }],
      // Our interfaces declare methods that objects implement as closures (no `this`), and module
      // namespaces are destructured: the rule cannot tell those from a detached class method.
      "@typescript-eslint/unbound-method": "off",
    },
  },
  {
    files: ["src/**/*.ts"],
    ignores: ["src/clock/**"],
    rules: {
      "no-restricted-properties": ["error", { object: "Date", property: "now", message: INJECTED_TIME }],
      "no-restricted-globals": [
        "error",
        { name: "setTimeout", message: INJECTED_TIME },
        { name: "setInterval", message: INJECTED_TIME },
      ],
      "no-restricted-syntax": [
        "error",
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: INJECTED_TIME },
      ],
    },
  },
  {
    files: ["test/**/*.ts"],
    rules: {
      // Fakes implement async interfaces without awaiting anything.
      "@typescript-eslint/require-await": "off",
    },
  },
  {
    files: ["**/*.js", "**/*.cjs", "**/*.mjs"],
    languageOptions: { globals: globals.node },
  },
  {
    files: ["**/*.cjs"],
    languageOptions: { sourceType: "commonjs" },
  },
]);
