#!/usr/bin/env node
// CommonJS (bin/package.json), like the bundle it loads: starting without Node's ES module loader is
// faster. The CLI is bundled by scripts/bundle.js; its compiled code is kept between runs (src/startup/).
const {join} = require('node:path')

const {codeCacheDir, installCompileCache} = require('../dist/cli/startup.js')

// The AWS SDK's notice about the Node versions it will drop is for the tool's maintainers, not its users.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
// NO_COLOR wins (https://no-color.org); with FORCE_COLOR also set, Node would warn on stderr that it ignores it.
if (process.env.NO_COLOR) delete process.env.FORCE_COLOR
const root = join(__dirname, '..')
installCompileCache(join(root, 'dist', 'cli'), codeCacheDir())
// The package root given, not found: oclif would stop at bin/package.json.
require('../dist/cli/cli.js').execute({loadOptions: {root}})
