import type {AttributeValue} from '@aws-sdk/client-dynamodb'
import {unmarshall} from '@aws-sdk/util-dynamodb'

import {isMessageItem, type MessageItem} from '../dynamodb/items.js'

/**
 * The event Lambda's DynamoDB event source mapping delivers, as far as the handler reads it. The local
 * processor builds the same shape from GetRecords, so one handler serves both.
 */
export interface StreamRecord {
  eventID?: string
  eventName?: 'INSERT' | 'MODIFY' | 'REMOVE'
  eventSource?: string
  eventSourceARN?: string
  awsRegion?: string
  dynamodb?: {
    /** Seconds since the epoch. */
    ApproximateCreationDateTime?: number
    Keys?: Record<string, AttributeValue>
    NewImage?: Record<string, AttributeValue>
    OldImage?: Record<string, AttributeValue>
    SequenceNumber?: string
    SizeBytes?: number
    StreamViewType?: string
  }
}

export interface StreamEvent {
  Records: StreamRecord[]
}

/** Lambda's partial batch response (honoured when the mapping has ReportBatchItemFailures). */
export interface StreamBatchResponse {
  batchItemFailures: Array<{itemIdentifier: string}>
}

/**
 * Stream sequence numbers are decimal strings of varying length: compare them as numbers, never as strings.
 */
export function compareSequenceNumbers(a: string, b: string): number {
  const left = BigInt(a)
  const right = BigInt(b)
  return left < right ? -1 : left > right ? 1 : 0
}

export const sequenceNumberOf = (record: StreamRecord): string | undefined => record.dynamodb?.SequenceNumber

/** The record's key as strings, for logs: `MSG#<group>` and `<created_at>#<message_uuid>`, never the text. */
export function keysOf(record: StreamRecord): {pk?: string; sk?: string} {
  return {pk: record.dynamodb?.Keys?.pk?.S, sk: record.dynamodb?.Keys?.sk?.S}
}

/** Pattern D acts on new messages only; conversation rows, edits and deletes pass through untouched. */
export function isMessageInsert(record: StreamRecord): boolean {
  return record.eventName === 'INSERT' && isMessageItem({pk: keysOf(record).pk})
}

/** The message a record inserted; throws (so the record is reported failed) when the image is unusable. */
export function messageOf(record: StreamRecord): MessageItem {
  const image = record.dynamodb?.NewImage
  if (!image) throw new Error('the record has no NewImage: the stream must be NEW_IMAGE or NEW_AND_OLD_IMAGES')
  const item = unmarshall(image) as Partial<MessageItem>
  for (const name of [
    'pk',
    'sk',
    'message_uuid',
    'message',
    'user_uuid',
    'user_handle',
    'user_display_name',
  ] as const) {
    if (typeof item[name] !== 'string') throw new Error(`the message item has no string attribute ${name}`)
  }

  return item as MessageItem
}
