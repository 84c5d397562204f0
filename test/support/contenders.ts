/** Processes contending for locks at the same instants, as processors or commands starting together would. */
import {expect} from 'chai'
import {spawn} from 'node:child_process'
import {createInterface} from 'node:readline'

import {ROOT} from './cli.js'

/**
 * Runs `contenders` processes of `script` (an ES module, run with tsx, given `env`) at the same instant. The script
 * prints `ready`, reads the instant (ms since the epoch) from stdin, prints one JSON list of results (one per thing
 * contended for) and holds what it won until stdin closes. Returns one list of the contenders' results per thing.
 */
export async function contend(contenders: number, script: string, env: Record<string, string>): Promise<string[][]> {
  const children = Array.from({length: contenders}, () => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', script], {
      cwd: ROOT,
      env: {...process.env, ...env},
      stdio: ['pipe', 'pipe', 'inherit'],
    })
    child.stdin.on('error', () => {}) // a contender that died early is reported by its missing output
    return {
      exited: new Promise((resolve) => child.on('exit', resolve)),
      lines: createInterface({input: child.stdout})[Symbol.asyncIterator](),
      process: child,
    }
  })
  try {
    for (const child of children) expect((await child.lines.next()).value).to.equal('ready')
    const startAt = Date.now() + 100
    for (const child of children) child.process.stdin.write(`${startAt}\n`)
    const results = await Promise.all(
      children.map(async (child) => JSON.parse((await child.lines.next()).value) as string[]),
    )
    return results[0].map((_, i) => results.map((result) => result[i]))
  } finally {
    for (const child of children) child.process.stdin.end()
    await Promise.all(children.map((child) => child.exited))
  }
}
