import {paginateQuery, QueryCommand} from '@aws-sdk/lib-dynamodb'

import {CruddurError} from '../../errors.js'
import {type ConversationRow, GROUP_PREFIX, groupPk, type Participant} from '../items.js'
import {compareKeys, parseKeyTime} from '../key-time.js'
import {GROUP_INDEX, GROUP_INDEX_PARTITION_KEY} from '../schema.js'
import type {MessagesTable} from '../messages-table.js'

/**
 * A conversation row as the patterns write it: besides the layout's attributes it keeps the exact sort key of
 * the message it shows (the row's own sk is that message's time, moved on a microsecond if the owner already
 * had a row at that time). Rows the Cruddur app, its Lambda or the seed of earlier versions wrote lack it.
 */
export type ConversationRowItem = ConversationRow & {
  last_message_sk?: string
  /**
   * Sort keys of messages removed (`delete-message --hard`) while the row showed them, newer than the one it
   * shows now: Pattern D never moves the row to them, so a late stream record cannot bring one back.
   */
  removed_sks?: Set<string>
}

export const ownerUuidOf = (row: Pick<ConversationRow, 'pk'>) => row.pk.slice(GROUP_PREFIX.length)

/** The sort key of the message a row shows: its `last_message_sk`, else (written without it) its own time. */
export function lastMessageSkOf(row: ConversationRowItem): string {
  return row.last_message_sk ?? row.sk
}

/**
 * Whether the message with sort key `messageSk` is newer than the one `row` shows, by instant (the keys may
 * be in any of the app's formats). Ties by the key text, so two messages of one microsecond order too; a row
 * without `last_message_sk` only knows the time, so it counts as holding the last message of that instant.
 */
export function isNewerThanRow(messageSk: string, row: ConversationRowItem): boolean {
  if (row.last_message_sk !== undefined) return compareKeys(messageSk, row.last_message_sk) > 0
  const message = parseKeyTime(messageSk)
  const shown = parseKeyTime(row.sk)
  if (message && shown) return message.micros > shown.micros
  return compareKeys(messageSk, row.sk) > 0
}

/** Orders one owner's rows of a conversation by the message they show, oldest first (stable on the row key). */
export function compareRows(a: ConversationRowItem, b: ConversationRowItem): number {
  return compareKeys(lastMessageSkOf(a), lastMessageSkOf(b)) || compareKeys(a.sk, b.sk)
}

/**
 * Both conversation rows of a group, from the sparse index that holds nothing else. Index reads are
 * eventually consistent: callers that act on the rows make their writes conditional on what they saw.
 */
export async function queryGroupRows(table: MessagesTable, messageGroupUuid: string): Promise<ConversationRowItem[]> {
  const output = await table.doc.send(
    new QueryCommand({
      ExpressionAttributeNames: {'#group': GROUP_INDEX_PARTITION_KEY},
      ExpressionAttributeValues: {':group': messageGroupUuid},
      IndexName: GROUP_INDEX,
      KeyConditionExpression: '#group = :group',
      TableName: table.name,
    }),
  )
  return (output.Items ?? []) as ConversationRowItem[]
}

/**
 * A group's rows read from the table itself with strongly consistent reads, for when the index may lag
 * behind writes that just happened (a new conversation, a row just moved). Reads the conversation lists of
 * the given participants, then of the participants their rows name, keeping the group's rows: a fallback
 * costing a user's whole list, not the first read.
 */
export async function queryGroupRowsConsistently(
  table: MessagesTable,
  messageGroupUuid: string,
  participantUuids: string[],
): Promise<ConversationRowItem[]> {
  const rows = new Map<string, ConversationRowItem>()
  const toRead = [...new Set(participantUuids)]
  for (let i = 0; i < toRead.length; i++) {
    const pages = paginateQuery(
      {client: table.doc},
      {
        ConsistentRead: true,
        ExpressionAttributeNames: {'#group': GROUP_INDEX_PARTITION_KEY},
        ExpressionAttributeValues: {':group': messageGroupUuid, ':pk': groupPk(toRead[i])},
        FilterExpression: '#group = :group',
        KeyConditionExpression: 'pk = :pk',
        TableName: table.name,
      },
    )
    for await (const page of pages) {
      for (const row of (page.Items ?? []) as ConversationRowItem[]) {
        rows.set(`${row.pk}\0${row.sk}`, row)
        if (!toRead.includes(row.user_uuid)) toRead.push(row.user_uuid)
      }
    }
  }

  return [...rows.values()]
}

/** The two participants of a conversation, read from its rows (each row holds the *other* participant). */
export interface ConversationMembers {
  messageGroupUuid: string
  participants: [Participant, Participant]
  /** Each owner's row showing the newest message. */
  rows: [ConversationRowItem, ConversationRowItem]
  /**
   * Further rows of an owner (the course's Lambda, racing other writers, leaves two per owner): Pattern D
   * deletes them when it next moves the conversation's rows.
   */
  extras: ConversationRowItem[]
}

/**
 * A group's rows make a conversation: rows of exactly two different owners, each row holding the other
 * owner. An owner may have more than one row (what the app's Lambda leaves); the newest counts.
 */
export function membersOf(messageGroupUuid: string, rows: ConversationRowItem[]): ConversationMembers | undefined {
  const byOwner = new Map<string, ConversationRowItem[]>()
  for (const row of rows) byOwner.set(ownerUuidOf(row), [...(byOwner.get(ownerUuidOf(row)) ?? []), row])
  if (byOwner.size !== 2) return undefined
  const [[ownerA, rowsA], [ownerB, rowsB]] = [...byOwner]
  if (rowsA.some((row) => row.user_uuid !== ownerB) || rowsB.some((row) => row.user_uuid !== ownerA)) return undefined
  const newest = (owned: ConversationRowItem[]) => [...owned].sort(compareRows).at(-1)!
  const [first, second] = [newest(rowsA), newest(rowsB)]
  const participant = (row: ConversationRowItem): Participant => ({
    displayName: row.user_display_name,
    handle: row.user_handle,
    uuid: row.user_uuid,
  })
  return {
    extras: rows.filter((row) => row !== first && row !== second),
    messageGroupUuid,
    participants: [participant(second), participant(first)],
    rows: [first, second],
  }
}

export const isParticipant = (members: ConversationMembers, userUuid: string) =>
  members.participants.some((p) => p.uuid === userUuid)

/**
 * The members of an existing conversation, or NOT_FOUND. A group whose rows are malformed (not two owners,
 * or not mirroring each other) is a CONFLICT: `update-message-group` cannot repair it either. Given
 * participants to start from, rows the index does not show as a pair yet are read from the table.
 */
export async function requireMembers(
  table: MessagesTable,
  messageGroupUuid: string,
  participantUuids: string[] = [],
): Promise<ConversationMembers> {
  let rows = await queryGroupRows(table, messageGroupUuid)
  if (!membersOf(messageGroupUuid, rows) && participantUuids.length > 0) {
    rows = await queryGroupRowsConsistently(table, messageGroupUuid, participantUuids)
  }
  if (rows.length === 0) {
    throw new CruddurError('NOT_FOUND', `No conversation ${messageGroupUuid} in table ${table.name}`, {
      hint: {step: 'list-conversations'},
    })
  }

  const members = membersOf(messageGroupUuid, rows)
  if (!members) {
    throw new CruddurError(
      'CONFLICT',
      `Conversation ${messageGroupUuid} has ${rows.length} conversation rows that do not form one pair of participants`,
      {hint: {step: 'inspect-conversations'}},
    )
  }

  return members
}

/** Refuses a user who is not one of the conversation's two participants. */
export function requireParticipant(
  members: ConversationMembers,
  user: Pick<Participant, 'uuid'> & {handle?: string},
  action: string,
): void {
  if (isParticipant(members, user.uuid)) return
  const who = user.handle ? `@${user.handle}` : `User ${user.uuid}`
  const between = members.participants.map((p) => `@${p.handle}`).join(' and ')
  throw new CruddurError(
    'CONFLICT',
    `${who} is not a participant of conversation ${members.messageGroupUuid} (between ` +
      `${between}): only its participants can ${action}.`,
  )
}
