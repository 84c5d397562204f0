#!/usr/bin/env -S node --import tsx --no-warnings
// The TypeScript sources, unbundled, through tsx: for development.
require('@oclif/core').execute({development: true, loadOptions: {root: require('node:path').join(__dirname, '..')}})
