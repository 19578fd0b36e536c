// Lint with type information so promise misuse (floating promises) is caught.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'harness/**', 'out/**', '*.vsix', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    // protocol/ and client/ are shared by every participant and must stay editor-agnostic.
    files: ['protocol/**/*.ts', 'client/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['vscode'], message: 'protocol/ and client/ never import vscode.' },
        { group: ['**/extension/**', '**/relay-server/**'], message: 'dependencies point extension -> client -> protocol.' },
      ] }],
    },
  },
  {
    files: ['protocol/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['vscode', 'ws', 'express', '**/client/**', '**/extension/**', '**/relay-server/**'], message: 'protocol/ imports nothing from vscode, ws, express or other parts.' },
      ] }],
    },
  },
  {
    // Entry points and tests may print.
    files: ['relay-server/main.ts', 'client/cli.ts', 'bench/**/*.ts', 'test/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
