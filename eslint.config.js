import js from '@eslint/js'
import tseslint from 'typescript-eslint'

// The layering (README, "Architecture"): each folder may import only from the folders below it.
const CLI_PACKAGES = {
  message:
    'src/lib is the library the Lambda also runs: no CLI packages here; ' +
    'rendering and flags belong in src/ or src/commands.',
  regex: '^(@oclif/|chalk(/|$)|cli-table3(/|$))',
}
// The layer patterns read the path as written, so a path that goes up and back down could hide where it lands.
const NORMALISED = {
  message: 'Write the import path normalised (no `./..`, no folder then `..`), so the layer rules can read it.',
  regex: '/\\.(/|$)|(^|/)(?!\\.\\.(/|$))[^/]+/\\.\\.(/|$)',
}
/** Each pattern as a `no-restricted-syntax` entry: `no-restricted-imports` does not see `await import('…')`. */
const dynamicImports = (patterns) =>
  patterns.map(({message, regex}) => ({
    message,
    // esquery ends a regex at an unescaped `/`.
    selector: `ImportExpression[source.value=/${regex.replaceAll('/', '\\/')}/]`,
  }))
const restrict = (files, patterns, ignores = []) => ({
  files,
  ignores,
  rules: {
    'no-restricted-imports': ['error', {patterns: [NORMALISED, ...patterns]}],
    'no-restricted-syntax': ['error', ...dynamicImports([NORMALISED, ...patterns])],
  },
})
/** src/lib never imports the CLI: from a file `depth` folders below src/, `../` that many times is src/ itself. */
const notTheCli = (depth) => ({
  message:
    'src/lib never imports the CLI (src/commands, src/*-command.ts, src/*-flags.ts): ' +
    'move the shared piece down into src/lib.',
  regex: `^(\\.\\./){${depth}}[^.]`,
})
const NOT_LOCAL = {
  message:
    'The library the Lambda uses never imports the local stack (src/lib/local): ' +
    'move the shared piece down (src/lib/stack-state.ts, paths.ts).',
  regex: '(^|/)local/',
}
const libLayer = (depth) =>
  restrict([`src/lib/${'*/'.repeat(depth - 1)}*.ts`], [notTheCli(depth), CLI_PACKAGES, NOT_LOCAL], ['src/lib/local/**'])
/** The ground floor: everything else in src/lib stands on these, so they stand on Node alone. */
const GROUND_FLOOR = ['paths', 'stack-state', 'process-identity', 'pid-lock', 'private-files', 'sleep', 'errors']

export default tseslint.config(
  {ignores: ['dist/', 'node_modules/', 'infra/cdk.out/', 'infra/node_modules/', 'infra/build/', 'oclif.manifest.json']},
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        URL: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_', caughtErrors: 'none'}],
      'no-empty': ['error', {allowEmptyCatch: true}],
      // Prettier's width; it does not break strings or comments, so this holds them to it too.
      'max-len': ['error', {code: 120, ignoreUrls: true}],
    },
  },
  libLayer(1),
  libLayer(2),
  libLayer(3),
  libLayer(4),
  restrict(['src/lib/local/*.ts'], [notTheCli(2), CLI_PACKAGES]),
  restrict(
    ['src/lambda/**/*.ts'],
    [
      CLI_PACKAGES,
      {
        message: 'The Lambda imports only the library (src/lib), never the local stack (src/lib/local) or the CLI.',
        regex: '^\\.\\./(?!lib/)|^\\.\\./lib/local/',
      },
    ],
  ),
  restrict(
    ['src/startup/**/*.ts'],
    [
      {
        message: 'src/startup runs before anything else loads: Node built-ins and src/lib/paths.ts only.',
        regex: '^(?!node:|\\.\\./lib/paths\\.js$|\\./)',
      },
    ],
  ),
  restrict(
    GROUND_FLOOR.map((name) => `src/lib/${name}.ts`),
    [
      {
        message: `The ground floor of src/lib (${GROUND_FLOOR.join(', ')}) imports Node built-ins and each other only.`,
        regex: `^(?!node:|\\./(${GROUND_FLOOR.join('|')})\\.js$)`,
      },
    ],
  ),
  {
    // The binaries are CommonJS (bin/package.json).
    files: ['bin/**/*.js'],
    languageOptions: {globals: {__dirname: 'readonly', require: 'readonly'}, sourceType: 'commonjs'},
    rules: {'@typescript-eslint/no-require-imports': 'off'},
  },
)
