import {GetCommand} from '@aws-sdk/lib-dynamodb'

import {CruddurError} from '../../errors.js'
import {idempotencyMarkerKey, type MessageItem, type Participant} from '../items.js'
import {uuidV5} from './conversation-uuid.js'
import type {TransactItem} from './update-message-group.js'
import {type Message, messageFromItem} from './views.js'
import type {MessagesTable} from '../messages-table.js'

/** The namespace of idempotent message ids (a fixed random uuid): changing it would let retries send again. */
export const IDEMPOTENCY_NAMESPACE = 'c6e9d53c-7131-461a-997c-64fe4b324325'
const MAX_KEY_LENGTH = 256

/**
 * The item that makes an idempotent send happen once. A message's key holds only its time, which differs
 * between a send and its retry, so a condition on the message item cannot see the first attempt; this item's
 * key is the message's uuid (derived from sender and key), and it is put in the same transaction as the
 * message, only if absent. It holds where the message is, no text, and no message_group_uuid (the index
 * stays sparse).
 */
export interface IdempotencyMarker {
  pk: string
  sk: string
  message_uuid: string
  message_pk: string
  message_sk: string
}

/** The message uuid an idempotency key stands for: UUID v5 of the sender and the key. */
export function idempotentMessageUuid(senderUuid: string, key: string): string {
  if (key.trim() === '' || key.length > MAX_KEY_LENGTH) {
    throw new CruddurError(
      'INVALID_INPUT',
      `The idempotency key is ${key.trim() === '' ? 'empty' : `${key.length} characters long`}: ` +
        `pass 1–${MAX_KEY_LENGTH} characters, the same on every retry (e.g. ` +
        `\${CI_PIPELINE_ID}-notify).`,
    )
  }

  return uuidV5(`${senderUuid.toLowerCase()}:${key}`, IDEMPOTENCY_NAMESPACE)
}

/** The marker's conditional Put, to go in the message's own transaction. */
export function idempotencyMarkerPut(table: MessagesTable, message: MessageItem): TransactItem {
  const item: IdempotencyMarker = {
    ...idempotencyMarkerKey(message.message_uuid),
    message_pk: message.pk,
    message_sk: message.sk,
    message_uuid: message.message_uuid,
  }
  return {Put: {ConditionExpression: 'attribute_not_exists(pk)', Item: item, TableName: table.name}}
}

/**
 * The message a first attempt with this uuid wrote, or undefined when there was none. If it has been
 * removed since (`--hard`), it is shown deleted: a retry must not send it again.
 */
export async function findSentMessage(
  table: MessagesTable,
  messageUuid: string,
  sender: Participant,
): Promise<{item?: MessageItem; message: Message; messageGroupUuid: string} | undefined> {
  const marker = (
    await table.doc.send(
      new GetCommand({ConsistentRead: true, Key: idempotencyMarkerKey(messageUuid), TableName: table.name}),
    )
  ).Item as IdempotencyMarker | undefined
  if (!marker) return undefined
  const item = (
    await table.doc.send(
      new GetCommand({
        ConsistentRead: true,
        Key: {pk: marker.message_pk, sk: marker.message_sk},
        TableName: table.name,
      }),
    )
  ).Item as MessageItem | undefined
  if (item) return {item, message: messageFromItem(item), messageGroupUuid: messageFromItem(item).messageGroupUuid}
  const message = messageFromItem({
    deleted_at: '',
    message: '',
    message_uuid: messageUuid,
    pk: marker.message_pk,
    sk: marker.message_sk,
    user_display_name: sender.displayName,
    user_handle: sender.handle,
    user_uuid: sender.uuid,
  })
  delete message.deletedAt // removed with --hard: when is not known
  return {message, messageGroupUuid: message.messageGroupUuid}
}
