import {Flags} from '@oclif/core'

/** The read patterns' cache flag: their first page is read cache-aside when a cache is configured. */
export const readCacheFlag = Flags.boolean({
  allowNo: true,
  description:
    'Read the first page through the Momento cache (default: when MOMENTO_CACHE_NAME is set); ' +
    '--no-cache reads DynamoDB.',
})

/** The write commands' cache flag: they refresh the cached pages they change when a cache is configured. */
export const refreshCacheFlag = Flags.boolean({
  allowNo: true,
  description:
    'Refresh the cached pages this changes in the Momento cache (default: when ' +
    'MOMENTO_CACHE_NAME is set); --no-cache leaves the cache alone.',
})
