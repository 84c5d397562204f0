/**
 * Raw items exactly as the Cruddur app writes them into `cruddur-messages` (the Flask backend's `lib/ddb.py`,
 * the course's stream Lambda), for tests of how the CLI lives beside it. Nothing here goes through the CLI's
 * own item builders: the point is the app's layout, not ours.
 *
 * The app's keys are `datetime.now(timezone.utc).astimezone().isoformat()`: six fractional digits and the
 * process's UTC offset (`+00:00` in UTC, `-05:00` elsewhere); a later version writes naive times.
 */
import {randomUUID} from 'node:crypto'
import {PutCommand, type DynamoDBDocumentClient} from '@aws-sdk/lib-dynamodb'

/** A user as the app's items name them. */
export interface AppUser {
  uuid: string
  handle: string
  displayName: string
}

/** How an app process writes a time: in UTC (`+00:00`), naive (no offset), or at a UTC offset in minutes. */
export type AppTimeForm = 'utc' | 'naive' | {offsetMinutes: number}

const pad = (value: number, width = 2) => String(Math.abs(value)).padStart(width, '0')

/**
 * Python's `isoformat()` of an instant (microseconds since the epoch) as an app process writes it. Like
 * Python, the fraction is left out when it is zero.
 */
export function appTime(micros: bigint, form: AppTimeForm = 'utc'): string {
  const offsetMinutes = typeof form === 'object' ? form.offsetMinutes : 0
  const local = micros + BigInt(offsetMinutes) * 60_000_000n
  const seconds = local / 1_000_000n - (local % 1_000_000n < 0n ? 1n : 0n)
  const fraction = Number(local - seconds * 1_000_000n)
  const wall = new Date(Number(seconds) * 1000).toISOString().slice(0, 19)
  const text = fraction === 0 ? wall : `${wall}.${pad(fraction, 6)}`
  if (form === 'naive') return text
  const sign = offsetMinutes < 0 ? '-' : '+'
  return `${text}${sign}${pad(Math.trunc(offsetMinutes / 60))}:${pad(offsetMinutes % 60)}`
}

/** Microseconds since the epoch of an ISO time with an exact microsecond part, e.g. `2026-11-29T11:51:56.529847Z`. */
export function micros(iso: string): bigint {
  const match = /^(.*?)(?:\.(\d{1,6}))?Z$/.exec(iso)
  if (!match) throw new Error(`not a UTC ISO time: ${iso}`)
  return BigInt(Date.parse(`${match[1]}Z`)) * 1000n + BigInt((match[2] ?? '').padEnd(6, '0'))
}

/** A message as `lib/ddb.py` `create_message` writes it: user_* is the sender, no message_group_uuid. */
export function appMessage(input: {
  messageGroupUuid: string
  sender: AppUser
  text: string
  sk: string
  messageUuid?: string
}) {
  return {
    message: input.text,
    message_uuid: input.messageUuid ?? randomUUID(),
    pk: `MSG#${input.messageGroupUuid}`,
    sk: input.sk,
    user_display_name: input.sender.displayName,
    user_handle: input.sender.handle,
    user_uuid: input.sender.uuid,
  }
}

/**
 * A conversation row as `create_message_group` or the course's Lambda writes it: the owner's view, holding
 * the other user, keyed by the last message's time, without `last_message_sk`.
 */
export function appConversationRow(input: {
  owner: AppUser
  other: AppUser
  messageGroupUuid: string
  lastMessage: string
  sk: string
}) {
  return {
    message: input.lastMessage,
    message_group_uuid: input.messageGroupUuid,
    pk: `GRP#${input.owner.uuid}`,
    sk: input.sk,
    user_display_name: input.other.displayName,
    user_handle: input.other.handle,
    user_uuid: input.other.uuid,
  }
}

export type AppItem = ReturnType<typeof appMessage> | ReturnType<typeof appConversationRow>

/** Writes items one by one, unconditionally, as the app does (PutItem). */
export async function putAppItems(doc: DynamoDBDocumentClient, table: string, items: AppItem[]): Promise<void> {
  for (const item of items) await doc.send(new PutCommand({Item: item, TableName: table}))
}

/**
 * A conversation the app started (`create_message_group`): a random message_group_uuid, both rows and the
 * first message at one time key, then `replies` added by `create_message` (each a message and, as the course's
 * Lambda does, the rows moved to it by delete-then-put). Returns the items in the order written.
 */
export function appConversation(input: {
  a: AppUser
  b: AppUser
  messages: Array<{from: 'a' | 'b'; text: string; sk: string}>
  messageGroupUuid?: string
  /** Rows written for every message (the Lambda's race leaves them all) instead of only for the last. */
  rowsForEveryMessage?: boolean
}): {
  messageGroupUuid: string
  messages: Array<ReturnType<typeof appMessage>>
  rows: Array<ReturnType<typeof appConversationRow>>
} {
  const messageGroupUuid = input.messageGroupUuid ?? randomUUID()
  const messages = input.messages.map((m) =>
    appMessage({messageGroupUuid, sender: m.from === 'a' ? input.a : input.b, sk: m.sk, text: m.text}),
  )
  const rowsOf = (message: ReturnType<typeof appMessage>) => [
    appConversationRow({
      lastMessage: message.message,
      messageGroupUuid,
      other: input.b,
      owner: input.a,
      sk: message.sk,
    }),
    appConversationRow({
      lastMessage: message.message,
      messageGroupUuid,
      other: input.a,
      owner: input.b,
      sk: message.sk,
    }),
  ]
  const rows = input.rowsForEveryMessage ? messages.flatMap(rowsOf) : rowsOf(messages.at(-1)!)
  return {messageGroupUuid, messages, rows}
}
