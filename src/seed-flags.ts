import {Flags} from '@oclif/core'

/** The flags `ddb seed` and `ddb setup` share. */
export const seedFlags = {
  conversations: Flags.integer({
    description: 'Conversations to create, one per pair of users (default: up to 10).',
    min: 1,
  }),
  messages: Flags.integer({description: 'Messages per conversation (default 20).', min: 1, max: 10_000}),
  seed: Flags.integer({
    default: 1,
    description: 'Random seed: the same seed gives the same conversations, texts and ids.',
  }),
  handles: Flags.string({
    delimiter: ',',
    description: 'Only seed between these users (comma-separated handles; default: every user).',
    multiple: true,
  }),
  now: Flags.string({description: 'Time of the newest message, ISO-8601 (default: now). Never in the future.'}),
  concurrency: Flags.integer({default: 8, description: 'BatchWriteItem requests in flight.', min: 1, max: 64}),
}
