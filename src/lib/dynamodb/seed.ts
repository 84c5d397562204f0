import {base, en, Faker} from '@faker-js/faker'
import {QueryCommand, type QueryCommandInput, type DynamoDBDocumentClient} from '@aws-sdk/lib-dynamodb'

import {CruddurError} from '../errors.js'
import {timeouts} from '../timeouts.js'
import {batchWriteAll, type BatchWriteOptions, gaveUp, retryTransient} from './batch-write.js'
import {parseKeyTime} from './key-time.js'
import {type ConversationRowItem} from './patterns/conversation-rows.js'
import {conversationUuidFor} from './patterns/conversation-uuid.js'
import {conversationRow, messageItem, type MessageItem, messagePk, type Participant, timestamp} from './items.js'
import type {MessagesTable} from './messages-table.js'

export interface SeedOptions {
  conversations: number
  messagesPerConversation: number
  /** Same seed, same conversations, texts and ids. */
  seed: number
  /** The newest message is at this time (default: now), never after it. */
  now?: Date
}

export interface SeedConversation {
  messageGroupUuid: string
  participants: [Participant, Participant]
  messages: MessageItem[]
  rows: [ConversationRowItem, ConversationRowItem]
}

const MINUTE = 60_000

/**
 * Plans realistic conversations between pairs of users: texts from faker, times going back from `now`
 * (the newest conversation ends at `now`), each with its two conversation rows holding the last message.
 * Keys are the canonical key times and unique by construction, as BatchWrite cannot be conditional: a
 * conversation's messages are at least a minute apart, and conversations end at least five minutes apart,
 * so no owner has two rows at one time.
 */
export function planSeed(users: Participant[], options: SeedOptions): SeedConversation[] {
  const sorted = [...users].sort((a, b) => a.handle.localeCompare(b.handle))
  const pairs: Array<[Participant, Participant]> = []
  for (let i = 0; i < sorted.length; i++) for (let j = i + 1; j < sorted.length; j++) pairs.push([sorted[i], sorted[j]])
  if (options.conversations > pairs.length) {
    throw new CruddurError(
      'INVALID_INPUT',
      `${options.conversations} conversations need ${options.conversations} pairs of users, but ` +
        `${sorted.length} users make ${pairs.length}`,
      {actions: ['lower --conversations'], hint: {step: 'add-users'}},
    )
  }

  const faker = new Faker({locale: [en, base], seed: options.seed})
  const chosen = faker.helpers.shuffle(pairs).slice(0, options.conversations)
  const now = (options.now ?? new Date()).getTime()
  let conversationEnd = now
  return chosen.map(([first, second]) => {
    // The pair's own id, as `create-message --to` derives it, so messaging a seeded pair adds to their conversation.
    const messageGroupUuid = conversationUuidFor(first.uuid, second.uuid)
    const times: number[] = []
    let at = conversationEnd
    for (let i = 0; i < options.messagesPerConversation; i++) {
      times.unshift(at)
      at -= faker.number.int({max: 90 * MINUTE, min: MINUTE})
    }

    const messages = times.map((time) => {
      const sender = faker.datatype.boolean() ? first : second
      return messageItem({
        createdAt: timestamp(new Date(time)),
        messageGroupUuid,
        messageUuid: faker.string.uuid(),
        sender,
        text: faker.helpers.arrayElement([
          faker.hacker.phrase(),
          `${faker.word.interjection()}! ${faker.hacker.phrase()}`,
          `Are we still on for ${faker.date.weekday()}?`,
          `Have you tried ${faker.commerce.productName()}? ${faker.company.catchPhrase()}.`,
          `${faker.company.buzzPhrase()}, ${faker.word.interjection()}.`,
        ]),
      })
    })
    const last = messages.at(-1)!
    const lastAt = timestamp(new Date(times.at(-1)!))
    const row = (owner: Participant, other: Participant): ConversationRowItem => ({
      ...conversationRow({lastMessage: last.message, lastMessageAt: lastAt, messageGroupUuid, other, owner}),
      last_message_sk: last.sk,
    })
    const rows: [ConversationRowItem, ConversationRowItem] = [row(first, second), row(second, first)]
    // The next (older) conversation ends a while before this one.
    conversationEnd -= faker.number.int({max: 36 * 60 * MINUTE, min: 5 * MINUTE})
    return {messageGroupUuid, messages, participants: [first, second], rows}
  })
}

export interface SeedResult {
  /** Conversations written now: new ones and interrupted ones completed. */
  conversations: number
  /** Of those, conversations an earlier, interrupted run had started. */
  completedConversations: number
  skippedConversations: number
  itemsWritten: number
  seconds: number
  itemsPerSecond: number
  /** The plan's time: --now, or the time of the earlier run whose conversations were found in the table. */
  now: string
}

export interface SeedWriteOptions extends BatchWriteOptions {
  /** Called once the table was read, with the number of items left to write. */
  onPlanned?: (items: number) => void
}

/** What the table already holds of one planned conversation. */
interface Found {
  /** message_uuid → sk of the messages in its partition. */
  messages: Map<string, string>
  /** The pks of its conversation rows (GRP#<owner>). */
  rowOwners: Set<string>
}

/**
 * Writes the planned conversations so that any number of interrupted runs, then one that finishes, leave
 * exactly the items of one uninterrupted run:
 *
 * - a conversation is complete when every planned message (by message_uuid) and both rows are there; it is
 *   skipped. One with some of them is completed with the rest, never skipped.
 * - times come from `now`, so a rerun (another --now, or none) would plan other times. The plan's ids and
 *   texts do not depend on `now`, and every time is `now` minus a fixed offset: a planned message found in
 *   the table gives the earlier run's `now` (its time minus the planned one), and the plan is made again
 *   from that, for the conversations found and for those not yet started.
 * - a conversation holding none of the planned messages but other messages or rows (started with
 *   `create-message`) is someone else's: skipped, as before.
 * - messages are written before any row, so a row never points at a message that is not there yet.
 */
export async function seedTable(
  table: MessagesTable,
  plan: (now: Date) => SeedConversation[],
  now: Date,
  options: SeedWriteOptions = {},
): Promise<SeedResult> {
  const started = Date.now()
  const retryMs = options.retryMs ?? timeouts().retryMs
  const first = plan(now)
  // Each read retries for up to retryMs from its first try (a deadline recomputed per retry would never come).
  const read = <T>(call: () => Promise<T>) => {
    const deadline = Date.now() + retryMs
    return retryTransient(
      call,
      () => deadline,
      (error) => gaveUp(error, 0, undefined, retryMs),
    )
  }
  const found = await mapLimit(first, 8, (conversation) => findConversation(table, conversation, read))

  const offsets = first.map((conversation, index) => earlierRunOffset(conversation, found[index]))
  const anchor = offsets.find((offset) => offset !== undefined) ?? 0
  const plans = new Map<number, SeedConversation[]>([[0, first]])
  const planAt = (offset: number) => {
    if (!plans.has(offset)) plans.set(offset, plan(new Date(now.getTime() + offset)))
    return plans.get(offset)!
  }

  const messages: MessageItem[] = []
  const rows: ConversationRowItem[] = []
  let written = 0
  let completed = 0
  first.forEach((planned, index) => {
    const {messages: present, rowOwners} = found[index]
    const resumed = offsets[index] !== undefined
    if (!resumed && (present.size > 0 || rowOwners.size > 0)) return
    const conversation = planAt(offsets[index] ?? anchor)[index]
    const missingMessages = conversation.messages.filter((message) => !present.has(message.message_uuid))
    const missingRows = conversation.rows.filter((row) => !rowOwners.has(row.pk))
    if (missingMessages.length + missingRows.length === 0) return
    messages.push(...missingMessages)
    rows.push(...missingRows)
    written++
    if (resumed) completed++
  })

  const total = messages.length + rows.length
  options.onPlanned?.(total)
  const write = {concurrency: options.concurrency, onWritten: options.onWritten, retryMs, total}
  let itemsWritten = await batchWriteAll(table, messages as unknown as Array<Record<string, unknown>>, write)
  itemsWritten += await batchWriteAll(table, rows as unknown as Array<Record<string, unknown>>, {
    ...write,
    writtenBefore: itemsWritten,
  })
  const seconds = (Date.now() - started) / 1000
  return {
    completedConversations: completed,
    conversations: written,
    itemsPerSecond: Math.round(itemsWritten / Math.max(seconds, 0.001)),
    itemsWritten,
    now: new Date(now.getTime() + anchor).toISOString(),
    seconds,
    skippedConversations: first.length - written,
  }
}

/**
 * How far (ms) the run that wrote this conversation's messages planned from `now`: the time of a planned
 * message found in the table minus its planned time. Undefined when none of its planned messages is there.
 */
function earlierRunOffset(conversation: SeedConversation, found: Found): number | undefined {
  for (const message of conversation.messages) {
    const sk = found.messages.get(message.message_uuid)
    if (sk === undefined) continue
    const there = parseKeyTime(sk)
    const planned = parseKeyTime(message.sk)
    if (there && planned) return Number((there.micros - planned.micros) / 1000n)
  }

  return undefined
}

async function findConversation(
  table: MessagesTable,
  conversation: SeedConversation,
  read: <T>(call: () => Promise<T>) => Promise<T>,
): Promise<Found> {
  const messages = new Map<string, string>()
  for (const item of await queryAll(table.doc, read, {
    ExpressionAttributeValues: {':pk': messagePk(conversation.messageGroupUuid)},
    KeyConditionExpression: 'pk = :pk',
    ProjectionExpression: 'sk, message_uuid',
    TableName: table.name,
  })) {
    messages.set(String(item.message_uuid), String(item.sk))
  }

  const rowOwners = new Set<string>()
  for (const row of conversation.rows) {
    const owned = await queryAll(table.doc, read, {
      ExpressionAttributeNames: {'#group': 'message_group_uuid'},
      ExpressionAttributeValues: {':group': conversation.messageGroupUuid, ':pk': row.pk},
      FilterExpression: '#group = :group',
      KeyConditionExpression: 'pk = :pk',
      ProjectionExpression: 'pk',
      TableName: table.name,
    })
    if (owned.length > 0) rowOwners.add(row.pk)
  }

  return {messages, rowOwners}
}

/** Every item of a Query, strongly consistent (a rerun must see what the last run wrote), each page retried. */
async function queryAll(
  doc: DynamoDBDocumentClient,
  read: <T>(call: () => Promise<T>) => Promise<T>,
  input: QueryCommandInput,
): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = []
  let start: Record<string, unknown> | undefined
  do {
    const from = start
    const page = await read(() => doc.send(new QueryCommand({...input, ConsistentRead: true, ExclusiveStartKey: from})))
    items.push(...(page.Items ?? []))
    start = page.LastEvaluatedKey
  } while (start)
  return items
}

/** `work` over every element, at most `limit` at once, results in order. */
async function mapLimit<T, R>(elements: T[], limit: number, work: (element: T) => Promise<R>): Promise<R[]> {
  const results: R[] = []
  let next = 0
  const worker = async () => {
    while (next < elements.length) {
      const index = next++
      results[index] = await work(elements[index])
    }
  }

  await Promise.all(Array.from({length: Math.min(limit, elements.length)}, () => worker()))
  return results
}
