import {Flags} from '@oclif/core'

import {DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE} from './lib/dynamodb/patterns/input.js'

/** The paged reads' flags (`ddb query` and the read patterns, one cursor format): `perPage` says what a page holds. */
export const pageFlags = (perPage: string) => ({
  limit: Flags.integer({default: DEFAULT_PAGE_SIZE, description: perPage, max: MAX_PAGE_SIZE, min: 1}),
  cursor: Flags.string({description: 'Continue from the page that printed this cursor.'}),
})
