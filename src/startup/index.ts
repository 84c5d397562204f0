// What bin/run.js loads before anything else, bundled on its own to dist/cli/startup.js (CommonJS, compiled by
// Node as usual): where the compiled-code caches go, and the switch that turns them on. Node built-ins and
// src/lib/paths.ts only, so starting costs no more than it must (eslint holds this folder to that).
export {codeCacheDir} from '../lib/paths.js'
export {installCompileCache} from './compile-cache.js'
