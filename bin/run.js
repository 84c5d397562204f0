#!/usr/bin/env node
// oclif's runner comes from the bundle (see scripts/bundle.js): far fewer files to load at startup.
const {execute} = await import('../dist/cli/cli.js')

await execute({dir: import.meta.url})
