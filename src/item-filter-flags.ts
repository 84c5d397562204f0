import {Flags} from '@oclif/core'

import type {Pool} from 'pg'

import {type ItemFilters, type ItemType, parseTimeFilter, requireGroupFilter} from './lib/dynamodb/filters.js'
import {isUuid} from './lib/dynamodb/items.js'
import {requireUserByHandle} from './lib/postgres/users.js'

/** The flags `ddb scan` and `ddb export` share to select items. */
export const itemFilterFlags = {
  type: Flags.option({
    default: 'all' as const,
    description: 'Which items: conversation rows (GRP#), messages (MSG#), conversation markers (CONV#).',
    options: ['all', 'conversations', 'messages', 'markers'] as const,
  })(),
  user: Flags.string({
    description:
      "One user's items: their conversation rows, the messages they sent and the markers of " +
      'their conversations. A uuid, or a handle (looked up in PostgreSQL).',
  }),
  group: Flags.string({
    description: "One conversation's items: its messages, its two rows and its marker (read with Queries, not a Scan).",
  }),
  since: Flags.string({
    description:
      'Items at or after this time (ISO-8601 or a date, UTC unless an offset is given): sort-key ' +
      'time, or created_at for markers.',
  }),
  until: Flags.string({description: 'Items at or before this time (as --since).'}),
}

export const ITEM_FILTER_HELP =
  `--user and --type are FilterExpressions (DynamoDB still ` +
  `reads, and charges for, the whole table; less crosses the wire); --group reads with ` +
  `Queries. Sort keys hold times in several forms that do not compare as strings, so ` +
  `--since/--until are sent as a range widened by 14 hours and applied exactly here, on each ` +
  `item's instant.`

/** The flags' values resolved and checked; a handle is looked up in PostgreSQL (only then is it connected). */
export async function resolveItemFilters(
  flags: {type?: string; user?: string; group?: string; since?: string; until?: string},
  postgres: () => Promise<Pool>,
): Promise<ItemFilters> {
  const findUserUuid = async (handle: string) => {
    return (await requireUserByHandle(await postgres(), handle)).uuid
  }

  const filters: ItemFilters = {type: (flags.type ?? 'all') as ItemType}
  if (flags.group !== undefined) filters.group = requireGroupFilter(flags.group)
  if (flags.since !== undefined) filters.since = parseTimeFilter(flags.since, '--since')
  if (flags.until !== undefined) filters.until = parseTimeFilter(flags.until, '--until')
  if (flags.user !== undefined)
    filters.userUuid = isUuid(flags.user) ? flags.user.trim().toLowerCase() : await findUserUuid(flags.user)
  return filters
}
