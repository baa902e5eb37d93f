// Lint is part of `npm test`. Type-aware rules stay off to keep the run fast; tsc does the type work.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', 'out/**', 'coverage/**', 'web/dist/**', '.scratch/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', performance: 'readonly', fetch: 'readonly', AbortSignal: 'readonly', AbortController: 'readonly', structuredClone: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', setImmediate: 'readonly', queueMicrotask: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'off',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    // The web console (web/): plain browser ES modules, no build step.
    files: ['web/**/*.js'],
    languageOptions: { globals: { window: 'readonly', document: 'readonly', location: 'readonly', sessionStorage: 'readonly', URLSearchParams: 'readonly', Node: 'readonly', HTMLAnchorElement: 'readonly', HTMLButtonElement: 'readonly' } },
  },
  {
    // The pure cores never reach for IO: no server, no database, no network.
    files: ['src/kernel/**', 'src/engine/**', 'src/scorecard/**', 'src/routing/**', 'src/loans/schedule*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['**/store/**', '**/server/**', '**/cli/**', 'fastify', 'kysely', 'better-sqlite3', 'pg', 'ioredis', 'node:http', 'node:net'], message: 'Pure cores take plain data and return plain data; IO lives in src/store, src/server, src/cli.' },
      ] }],
    },
  },
);
