import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  {ignores: ['dist/', 'node_modules/', 'infra/cdk.out/', 'infra/node_modules/', 'infra/build/', 'oclif.manifest.json']},
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {globals: {process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', URL: 'readonly'}},
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_', caughtErrors: 'none'}],
      'no-empty': ['error', {allowEmptyCatch: true}],
    },
  },
  {
    // The binaries are CommonJS (bin/package.json).
    files: ['bin/**/*.js'],
    languageOptions: {globals: {__dirname: 'readonly', require: 'readonly'}, sourceType: 'commonjs'},
    rules: {'@typescript-eslint/no-require-imports': 'off'},
  },
)
