import {type Hook, toConfiguredId} from '@oclif/core'

import {printError} from '../base-command.js'
import {CruddurError} from '../lib/errors.js'

/** Edit distance, for "did you mean": a typo is a letter or two off. */
function distance(a: string, b: string): number {
  let previous = Array.from({length: b.length + 1}, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    previous = row
  }

  return previous[b.length]
}

/**
 * The words of `id` as they were typed: oclif joins words into a command id with ':', and a URL holds ':' too
 * (`ddb list-tables postgresql://u:p@h:5432/db`), so splitting the id would break a URL apart (hiding it from
 * the masking of secrets), and oclif's own argv loses whatever followed it. Not found in `typed` (a run with
 * another argv), the id stays one word: shown oddly rather than unmasked.
 */
function typedWords(id: string, typed: string[]): string[] {
  for (let start = 0; start < typed.length; start++)
    for (let end = start + 1; end <= typed.length; end++)
      if (typed.slice(start, end).join(':') === id) return typed.slice(start, end)
  return [id]
}

/**
 * Words oclif could not turn into a command: an unknown command, or extra arguments after a command that
 * takes none (oclif reads `ddb list-tables extra` as the command `ddb list-tables extra`). Either is a
 * usage error like any other: one line, exit 2, the JSON error under --json.
 */
const hook: Hook<'command_not_found'> = async function ({argv = [], config, id}) {
  const words = id.split(':')
  const typed = process.argv.slice(2)
  const bin = config.bin
  let message: string
  const known = words
    .map((_, i) => words.slice(0, words.length - 1 - i).join(':'))
    .find((prefix) => prefix && config.findCommand(prefix))
  if (known) {
    const given = typedWords(id, typed)
    const extra = given.length > 1 ? given.slice(known.split(':').length) : [id.slice(known.length + 1)]
    const command = `${bin} ${toConfiguredId(known, config)}`
    message =
      `Unexpected argument${extra.length === 1 ? '' : 's'}: ${extra.join(' ')}: ` +
      `\`${command}\` takes none. See \`${command} --help\`.`
  } else {
    const command = typedWords(id, typed).join(' ')
    const closest = config.commandIDs
      .map((candidate) => ({candidate, d: distance(id, candidate)}))
      .sort((a, b) => a.d - b.d)[0]
    const suggestion =
      closest && closest.d <= Math.max(2, Math.floor(id.length / 4))
        ? ` Did you mean \`${bin} ${toConfiguredId(closest.candidate, config)}\`?`
        : ''
    const topic = config.findTopic(words[0]) ? ` ${words[0]}` : ''
    message = `\`${bin} ${command}\` is not a ${bin} command.${suggestion} See \`${bin} help${topic}\`.`
  }

  const error = new CruddurError('INVALID_INPUT', message)
  printError(error, {config, json: [argv, words, typed].some((list) => list.includes('--json'))})
  this.exit(error.exitCode)
}

export default hook
