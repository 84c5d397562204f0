import chalk from 'chalk'
import Table from 'cli-table3'

/** A table for people; `--json` gives the same rows as data. */
export function renderTable(head: string[], rows: Array<Array<string | number | null | undefined>>): string {
  const table = new Table({
    head: head.map((title) => chalk.bold(title)),
    style: {border: [], head: []},
    wordWrap: true,
  })
  for (const row of rows) table.push(row.map((cell) => (cell === null || cell === undefined ? '' : String(cell))))
  return table.toString()
}
