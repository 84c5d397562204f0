// dist/cli/cli.js: oclif's core, bundled once; bin/run.js runs it and every bundled command takes
// @oclif/core from it (see scripts/bundle.js).
export * from '@oclif/core'
