import {base, en, Faker} from '@faker-js/faker'
import {QueryCommand, type DynamoDBDocumentClient} from '@aws-sdk/lib-dynamodb'

import {CruddurError} from '../errors.js'
import {batchWriteAll, type BatchWriteOptions} from './batch-write.js'
import {type ConversationRowItem} from './patterns/conversation-rows.js'
import {conversationUuidFor} from './patterns/conversation-uuid.js'
import {conversationRow, messageItem, type MessageItem, messagePk, type Participant, timestamp} from './items.js'

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
      `${options.conversations} conversations need ${options.conversations} pairs of users, but ${sorted.length} users make ${pairs.length}: lower --conversations, or add users with \`cruddur db seed --users N\`.`,
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
  conversations: number
  skippedConversations: number
  itemsWritten: number
  seconds: number
  itemsPerSecond: number
}

/**
 * Writes the planned conversations. A conversation whose messages are already in the table is skipped, so
 * seeding twice with the same seed adds nothing.
 */
export async function seedTable(
  doc: DynamoDBDocumentClient,
  table: string,
  plan: SeedConversation[],
  options: BatchWriteOptions = {},
): Promise<SeedResult> {
  const started = Date.now()
  const present = await Promise.all(plan.map((conversation) => conversationExists(doc, table, conversation.messageGroupUuid)))
  const todo = plan.filter((_, index) => !present[index])
  const items = todo.flatMap((conversation) => [...conversation.messages, ...conversation.rows])
  const itemsWritten = await batchWriteAll(doc, table, items as unknown as Array<Record<string, unknown>>, options)
  const seconds = (Date.now() - started) / 1000
  return {
    conversations: todo.length,
    itemsPerSecond: Math.round(itemsWritten / Math.max(seconds, 0.001)),
    itemsWritten,
    seconds,
    skippedConversations: plan.length - todo.length,
  }
}

async function conversationExists(doc: DynamoDBDocumentClient, table: string, messageGroupUuid: string): Promise<boolean> {
  const output = await doc.send(
    new QueryCommand({
      ExpressionAttributeValues: {':pk': messagePk(messageGroupUuid)},
      KeyConditionExpression: 'pk = :pk',
      Limit: 1,
      ProjectionExpression: 'pk',
      TableName: table,
    }),
  )
  return (output.Count ?? 0) > 0
}
