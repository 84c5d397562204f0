import {Flags} from '@oclif/core'

/** The write commands' cache flag: they refresh the cached pages they change when a cache is configured. */
export const refreshCacheFlag = Flags.boolean({
  allowNo: true,
  description:
    'Refresh the cached pages this changes in the Momento cache (default: when MOMENTO_CACHE_NAME is set); --no-cache leaves the cache alone.',
})
