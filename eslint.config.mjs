// Lint for TypeScript sources. Formatting is prettier's job; these rules catch real mistakes, and
// max-len backs prettier's soft printWidth (140) with a hard limit for what prettier cannot wrap, such as
// comments; a line long because of one string or template literal is exempt (a message is not cut mid-sentence).
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
      'max-len': ['error', { code: 160, ignoreUrls: true, ignoreRegExpLiterals: true, ignoreStrings: true, ignoreTemplateLiterals: true }],
      // `_`-prefixed names are deliberately unused (a skipped tuple element, a required parameter).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
);
