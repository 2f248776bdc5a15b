// ESLint (flat config) with typescript-eslint's type-aware rules: `npm run lint`, which
// scripts/test.sh runs before the tests. The rules are chosen to catch bugs (a promise nobody
// awaits or handles, a loose comparison, an unused value, a type imported as a value, `any`
// leaking into typed code), not to impose a style: formatting is Prettier's (`npm run format:check`).
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

const nodeGlobals = Object.fromEntries(
  ['process', 'console', 'URL', 'performance', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'queueMicrotask', 'Buffer', 'AbortController', 'fetch', 'structuredClone', 'TextEncoder', 'TextDecoder'].map((g) => [g, 'readonly']),
)

export default tseslint.config(
  {ignores: ['dist/', 'node_modules/', '.cache/', 'out/', 'bench/results/', 'test/fixtures/', '**/*.d.ts']},
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {projectService: {allowDefaultProject: ['*.js', '*.ts']}, tsconfigRootDir: import.meta.dirname},
      globals: nodeGlobals,
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // `import('…').T` in a type position stays allowed: it is how a type is named without a runtime import.
      '@typescript-eslint/consistent-type-imports': ['error', {fixStyle: 'inline-type-imports', disallowTypeAnnotations: false}],
      '@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none'}],
      eqeqeq: ['error', 'always', {null: 'ignore'}],
      // Off: style more than bugs here, and each would touch dozens of files for no behaviour.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/restrict-template-expressions': 'off',
      '@typescript-eslint/no-base-to-string': 'off',
      '@typescript-eslint/prefer-promise-reject-errors': 'off',
      'no-useless-assignment': 'off',
    },
  },
  {
    // Tests and scripts read JSON they just wrote: `any` there is a parsed document, asserted on at once.
    files: ['test/**', 'scripts/**'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // Plain JavaScript (scripts, tools, bin): no type information to check against.
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
  },
)
