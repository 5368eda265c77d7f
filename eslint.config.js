import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
      'no-restricted-imports': ['error', { patterns: [{ group: ['@dvt/*/*', '**/libs/*/src/*'], message: 'Import a lib through its public entry @dvt/<lib>.' }] }],
    },
  },
  {
    files: ['libs/**/*.ts', 'apps/**/*.ts'],
    ignores: ['libs/tbls/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['@dvt/*/*', '**/libs/*/src/*'], message: 'Import a lib through its public entry @dvt/<lib>.' }],
        paths: [
          { name: '@chainsafe/blst', message: 'BLS lives in @dvt/tbls (ENGINEERING.md convention 8).' },
          { name: '@chainsafe/bls', message: 'BLS lives in @dvt/tbls.' },
          { name: 'bls-eth-wasm', message: 'BLS lives in @dvt/tbls.' },
        ],
      }],
    },
  },
);
