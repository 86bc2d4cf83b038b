// Lint for TypeScript sources. Formatting is prettier's job; these rules catch real mistakes, and
// max-len backs prettier's soft printWidth with a hard limit (prettier leaves long strings alone).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'out/', 'dist-vsix/', 'artifacts/', 'examples/', 'src/engine/kernels/wasm/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Build scripts and bench launchers are plain Node CommonJS / ES modules.
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: globals.node },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/*.ts', '**/*.mjs', '**/*.js'],
    rules: {
      'max-len': ['error', { code: 160, ignoreUrls: true, ignoreRegExpLiterals: true }],
    },
  },
);
