// V8's code cache for the bundled CLI (dist/cli, CommonJS), on every Node. Node 20 compiles every file from source
// at each start, and Node's own compile cache (22 and later) keeps only what is compiled at load; keeping the
// compiled code, including what got compiled lazily during a run, takes most of the compile time off the next
// start. bin/run.js installs it before loading the bundle. A cache serves only the source it was made from (by
// hash), and V8 rejects one made by another version or flags; the file is then compiled from source as usual and
// the cache rewritten.
import {createHash, randomUUID} from 'node:crypto'
import {mkdirSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import Module, {createRequire} from 'node:module'
import {dirname, join, sep} from 'node:path'
import {Script} from 'node:vm'

type ModuleInternals = {
  _compile(this: ModuleInternals, content: string, filename: string, ...rest: unknown[]): unknown
  exports: unknown
}

/** One cache file per bundle file: a rebuild replaces its caches instead of piling up new ones. */
const cacheFileFor = (cacheDir: string, filename: string) =>
  join(cacheDir, createHash('sha1').update(filename).digest('hex'))

/**
 * The source a cache was made from, by its hash: V8 itself checks a cache's source only by its length, and
 * size and mtime do not tell builds apart (npm tarballs, reproducible builds and `cp -p` keep mtimes).
 */
const sourceStamp = (content: string) => Buffer.from(`${createHash('sha1').update(content).digest('hex')}\n`)

/** The cache made from this very source, if there is one. */
function readCache(file: string, stamp: Buffer): Buffer | undefined {
  try {
    const data = readFileSync(file)
    return data.subarray(0, stamp.length).equals(stamp) ? data.subarray(stamp.length) : undefined
  } catch {
    return undefined
  }
}

/**
 * Compiles the CommonJS files under bundleDir through V8's code cache in cacheDir. Caches that are missing
 * or were rejected are written when the process exits, so they hold the functions this run compiled.
 * Failing to write (read-only home, full disk) costs only the speed-up.
 */
export function installCodeCache(bundleDir: string, cacheDir: string | undefined): void {
  if (!cacheDir) return
  const root = bundleDir.endsWith(sep) ? bundleDir : bundleDir + sep
  const prototype = Module.prototype as unknown as ModuleInternals
  const compile = prototype._compile
  // Scripts stay referenced for the life of the process: V8 may need them for lazy compilation.
  const scripts: Script[] = []
  const toWrite: Array<{file: string; script: Script; stamp: Buffer}> = []

  ;(globalThis as Record<symbol, unknown>)[Symbol.for('cruddur.import')] = (specifier: string) => import(specifier)

  prototype._compile = function (this: ModuleInternals, content: string, filename: string, ...rest: unknown[]) {
    if (!filename.startsWith(root)) return compile.call(this, content, filename, ...rest)
    const file = cacheFileFor(cacheDir, filename)
    const stamp = sourceStamp(content)
    const cachedData = readCache(file, stamp)
    const script = new Script(Module.wrap(content), {cachedData, filename})
    scripts.push(script)
    if (!cachedData || script.cachedDataRejected) toWrite.push({file, script, stamp})
    const wrapper = script.runInThisContext({displayErrors: true}) as (...args: unknown[]) => unknown
    return wrapper.call(this.exports, this.exports, createRequire(filename), this, filename, dirname(filename))
  }

  process.once('exit', () => {
    if (toWrite.length === 0) return
    try {
      mkdirSync(cacheDir, {recursive: true})
    } catch {
      return
    }

    for (const {file, script, stamp} of toWrite) {
      // Written aside and renamed: a concurrent run reads a whole cache or none.
      const partial = `${file}.${randomUUID()}`
      try {
        writeFileSync(partial, Buffer.concat([stamp, script.createCachedData()]))
        renameSync(partial, file)
      } catch {
        // No cache for this file this time (full disk, read-only home); the next run tries again.
        rmSync(partial, {force: true})
      }
    }
  })
}
