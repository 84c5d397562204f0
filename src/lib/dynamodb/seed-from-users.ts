import type pg from 'pg'

import {CruddurError} from '../errors.js'
import {listUsers, requireUsersByHandles, type User} from '../postgres/users.js'
import type {BatchWriteOptions} from './batch-write.js'
import type {Participant} from './items.js'
import type {MessagesTable} from './messages-table.js'
import {planSeed, type SeedOptions, type SeedResult, seedTable} from './seed.js'

export const DEFAULT_MESSAGES_PER_CONVERSATION = 20
export const DEFAULT_MAX_CONVERSATIONS = 10

const participant = (user: User): Participant => ({displayName: user.displayName, handle: user.handle, uuid: user.uuid})

/** The users to seed between: the handles asked for (all must exist), else every user. */
export async function seedUsers(pool: pg.Pool, handles: string[] | undefined): Promise<Participant[]> {
  let users: User[]
  if (handles && handles.length > 0) {
    users = [...(await requireUsersByHandles(pool, handles)).values()]
  } else {
    users = await listUsers(pool)
  }

  if (users.length < 2) {
    throw new CruddurError('NOT_FOUND', `Seeding needs at least two users in PostgreSQL, found ${users.length}`, {
      hint: {step: 'create-users'},
    })
  }

  return users.map(participant)
}

export interface SeedFromUsersOptions extends Omit<SeedOptions, 'conversations' | 'messagesPerConversation'> {
  handles?: string[]
  conversations?: number
  messagesPerConversation?: number
  write?: BatchWriteOptions
  /** Called once the table was read, with the number of items left to write. */
  onPlanned?: (items: number) => void
}

export interface SeedFromUsersResult extends SeedResult {
  /** The PostgreSQL users the conversations are between. */
  users: number
}

/** `ddb seed` and `ddb setup`: users from PostgreSQL, conversations between them into DynamoDB. */
export async function seedFromUsers(
  pool: pg.Pool,
  table: MessagesTable,
  options: SeedFromUsersOptions,
): Promise<SeedFromUsersResult> {
  const users = await seedUsers(pool, options.handles)
  const pairs = (users.length * (users.length - 1)) / 2
  const plan = (now: Date) =>
    planSeed(users, {
      ...options,
      conversations: options.conversations ?? Math.min(DEFAULT_MAX_CONVERSATIONS, pairs),
      messagesPerConversation: options.messagesPerConversation ?? DEFAULT_MESSAGES_PER_CONVERSATION,
      now,
    })
  const result = await seedTable(table, plan, options.now ?? new Date(), {
    ...options.write,
    onPlanned: options.onPlanned,
  })
  return {...result, users: users.length}
}
