import {CruddurError} from '../../errors.js'
import {isUuid} from '../items.js'

/** The longest message, in characters (Unicode code points). Cruddur's UI allows 1024. */
export const MAX_MESSAGE_LENGTH = 1024
export const DEFAULT_PAGE_SIZE = 20
export const MAX_PAGE_SIZE = 1000

/** A uuid in the lower-case form the keys use, or a clear error naming what it should have been. */
export function requireUuid(value: string, what: string): string {
  const trimmed = value.trim()
  if (!isUuid(trimmed)) {
    throw new CruddurError(
      'INVALID_INPUT',
      `${what} "${value}" is not a uuid: pass one like 5ae290ed-55d1-47a0-bc6d-fe2bc2700399.`,
    )
  }

  return trimmed.toLowerCase()
}

/** The message text as given; it must have something besides whitespace and fit the cap. */
export function requireMessageText(text: string): string {
  if (text.trim() === '') throw new CruddurError('INVALID_INPUT', 'The message is empty: pass some text.')
  const length = [...text].length
  if (length > MAX_MESSAGE_LENGTH) {
    throw new CruddurError(
      'INVALID_INPUT',
      `The message is ${length} characters long; the limit is ${MAX_MESSAGE_LENGTH}: shorten it.`,
    )
  }

  return text
}

/**
 * A message goes to someone else: the same user (by uuid when both are known, else by handle, in any case) is refused.
 */
export function requireOtherRecipient(
  sender: {handle: string; uuid?: string},
  recipient: {handle: string; uuid?: string},
): void {
  const same =
    sender.uuid !== undefined && recipient.uuid !== undefined
      ? sender.uuid === recipient.uuid
      : sender.handle.toLowerCase() === recipient.handle.toLowerCase()
  if (same)
    throw new CruddurError('INVALID_INPUT', `@${sender.handle} cannot message themselves: pick another recipient.`)
}

export function requirePageSize(limit: number | undefined): number {
  const size = limit ?? DEFAULT_PAGE_SIZE
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw new CruddurError(
      'INVALID_INPUT',
      `The page size ${limit} is out of range: pass --limit between 1 and ${MAX_PAGE_SIZE}.`,
    )
  }

  return size
}

type Key = {pk: string; sk: string}

/** A cursor is the page's LastEvaluatedKey as base64url JSON: opaque to users, meaningful to DynamoDB. */
export function encodeCursor(lastEvaluatedKey: Record<string, unknown> | undefined): string | null {
  if (!lastEvaluatedKey) return null
  const {pk, sk} = lastEvaluatedKey as Key
  return Buffer.from(JSON.stringify({pk, sk}), 'utf8').toString('base64url')
}

/**
 * The table key {pk, sk} a cursor stands for. It must have come from the same listing (same partition):
 * DynamoDB would otherwise start somewhere meaningless or reject the request with an obscure message.
 * `partitionKey` undefined: a cursor of an index Query, whose items' table keys lie in any partition.
 */
export function decodeCursor(cursor: string | undefined, partitionKey: string | undefined): Key | undefined {
  if (cursor === undefined) return undefined
  const invalid = () =>
    new CruddurError(
      'INVALID_INPUT',
      `The cursor "${cursor.length > 40 ? cursor.slice(0, 40) + '…' : cursor}" is malformed or ` +
        `belongs to another listing: pass a nextCursor printed by the same command, or none for the ` +
        `first page.`,
    )
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid()
  let key: unknown
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    throw invalid()
  }

  if (!key || typeof key !== 'object') throw invalid()
  const {pk, sk} = key as Partial<Key>
  if (
    typeof pk !== 'string' ||
    typeof sk !== 'string' ||
    (partitionKey !== undefined && pk !== partitionKey) ||
    sk === '' ||
    Object.keys(key).length !== 2
  )
    throw invalid()
  return {pk, sk}
}
