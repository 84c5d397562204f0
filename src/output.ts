import chalk from 'chalk'
import Table from 'cli-table3'

import {visible} from './lib/terminal-text.js'

/** A table for people, control characters made visible; `--json` gives the same rows as data, exact. */
export function renderTable(head: string[], rows: Array<Array<string | number | null | undefined>>): string {
  const table = new Table({
    head: head.map((title) => chalk.bold(title)),
    style: {border: [], head: []},
    wordWrap: true,
  })
  for (const row of rows)
    table.push(row.map((cell) => (cell === null || cell === undefined ? '' : visible(String(cell), {multiline: true}))))
  return table.toString()
}
