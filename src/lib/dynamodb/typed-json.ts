import type {AttributeValue} from '@aws-sdk/client-dynamodb'

/**
 * Items as lines of text, in the two formats of `ddb export` and `ddb import`:
 *
 * - `dynamodb-json`: `{"Item": {…}}` in DynamoDB's typed JSON (the format of DynamoDB's export to S3). Exact:
 *   numbers stay the decimal strings DynamoDB sent (38 digits), binaries are base64, sets stay sets.
 * - `ndjson`: the item as plain JSON, as `ddb scan --output ndjson` prints it. Lossy outside strings: numbers
 *   become JSON numbers (doubles), sets become arrays, binaries base64 strings.
 */
export type ItemFormat = 'dynamodb-json' | 'ndjson'
export type RawItem = Record<string, AttributeValue>

const TYPES = ['B', 'BOOL', 'BS', 'L', 'M', 'N', 'NS', 'NULL', 'S', 'SS'] as const
/** DynamoDB's numbers: up to 38 significant digits, exponent -130..125. */
const NUMBER = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

const base64 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')

/** One AttributeValue as typed JSON: only binaries need a change (bytes → base64). */
function typedValue(value: AttributeValue): unknown {
  if (value.B !== undefined) return {B: base64(value.B)}
  if (value.BS !== undefined) return {BS: value.BS.map((bytes) => base64(bytes))}
  if (value.L !== undefined) return {L: value.L.map((element) => typedValue(element))}
  if (value.M !== undefined) return {M: typedMap(value.M)}
  return value
}

function typedMap(map: Record<string, AttributeValue>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(map)) out[name] = typedValue(value)
  return out
}

/** One AttributeValue as plain JSON. */
function plainValue(value: AttributeValue): unknown {
  if (value.S !== undefined) return value.S
  if (value.N !== undefined) return Number(value.N)
  if (value.BOOL !== undefined) return value.BOOL
  if (value.NULL !== undefined) return null
  if (value.B !== undefined) return base64(value.B)
  if (value.SS !== undefined) return value.SS
  if (value.NS !== undefined) return value.NS.map(Number)
  if (value.BS !== undefined) return value.BS.map((bytes) => base64(bytes))
  if (value.L !== undefined) return value.L.map((element) => plainValue(element))
  if (value.M !== undefined) return plainItem(value.M)
  return undefined
}

/** An item as plain JSON (what the document client gives, with sets as arrays and binaries as base64). */
export function plainItem(item: RawItem): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(item)) out[name] = plainValue(value)
  return out
}

/** One line of an export (without the newline). */
export function formatItem(item: RawItem, format: ItemFormat): string {
  return format === 'dynamodb-json' ? JSON.stringify({Item: typedMap(item)}) : JSON.stringify(plainItem(item))
}

/** The format of an export, read from its first line: typed JSON is `{"Item": {…}}`. */
export function detectFormat(firstLine: string): ItemFormat {
  try {
    const parsed = JSON.parse(firstLine) as unknown
    if (isObject(parsed) && Object.keys(parsed).length === 1 && isObject(parsed.Item)) return 'dynamodb-json'
  } catch {
    // Not JSON: parseLine reports it with its line number.
  }

  return 'ndjson'
}

/** A line's problem, for the user: the line number is added by the caller. */
export class LineError extends Error {}

/** One line of an import as an item, or a LineError naming what is wrong with it. */
export function parseLine(line: string, format: ItemFormat): RawItem {
  let parsed: unknown
  try {
    parsed = JSON.parse(line)
  } catch (error) {
    throw new LineError(`not valid JSON (${(error as Error).message})`)
  }

  let item: RawItem
  if (format === 'dynamodb-json') {
    if (!isObject(parsed) || !isObject(parsed.Item) || Object.keys(parsed).length !== 1)
      throw new LineError('expected {"Item": {…}} (DynamoDB JSON)')
    item = {}
    for (const [name, value] of Object.entries(parsed.Item)) item[name] = attributeValue(value, name)
  } else {
    if (!isObject(parsed)) throw new LineError('expected a JSON object (one item)')
    item = {}
    for (const [name, value] of Object.entries(parsed)) item[name] = marshallPlain(value, name)
  }

  for (const key of ['pk', 'sk']) {
    const value = item[key]
    if (!value) throw new LineError(`the item has no "${key}"`)
    if (value.S === undefined || value.S === '') throw new LineError(`"${key}" must be a non-empty string`)
  }

  return item
}

/** Typed JSON → AttributeValue, checking that each value fits its type. */
function attributeValue(value: unknown, path: string): AttributeValue {
  if (!isObject(value) || Object.keys(value).length !== 1)
    throw new LineError(`"${path}" must be one typed value like {"S": "…"}`)
  const [type] = Object.keys(value)
  const inner = value[type]
  const bad = (what: string) => new LineError(`"${path}" is ${type} but ${what}`)
  switch (type as (typeof TYPES)[number]) {
    case 'S': {
      if (typeof inner !== 'string') throw bad('not a string')
      return {S: inner}
    }

    case 'N': {
      if (typeof inner !== 'string' || !NUMBER.test(inner)) throw bad('not a number in a string')
      return {N: inner}
    }

    case 'B': {
      if (typeof inner !== 'string' || !BASE64.test(inner)) throw bad('not base64')
      return {B: Buffer.from(inner, 'base64')}
    }

    case 'BOOL': {
      if (typeof inner !== 'boolean') throw bad('not true or false')
      return {BOOL: inner}
    }

    case 'NULL': {
      if (inner !== true) throw bad('not true')
      return {NULL: true}
    }

    case 'SS':
    case 'NS':
    case 'BS': {
      if (!Array.isArray(inner) || inner.length === 0) throw bad('not a non-empty array')
      if (new Set(inner).size !== inner.length) throw bad('holds duplicates')
      const check =
        type === 'SS'
          ? (e: unknown) => typeof e === 'string'
          : type === 'NS'
            ? (e: unknown) => typeof e === 'string' && NUMBER.test(e)
            : (e: unknown) => typeof e === 'string' && BASE64.test(e)
      if (!inner.every(check))
        throw bad(
          `holds an element that is not ` +
            `${type === 'SS' ? 'a string' : type === 'NS' ? 'a number in a string' : 'base64'}`,
        )
      if (type === 'BS') return {BS: (inner as string[]).map((element) => Buffer.from(element, 'base64'))}
      return type === 'SS' ? {SS: inner as string[]} : {NS: inner as string[]}
    }

    case 'L': {
      if (!Array.isArray(inner)) throw bad('not an array')
      return {L: inner.map((element, index) => attributeValue(element, `${path}[${index}]`))}
    }

    case 'M': {
      if (!isObject(inner)) throw bad('not an object')
      const map: Record<string, AttributeValue> = {}
      for (const [name, element] of Object.entries(inner)) map[name] = attributeValue(element, `${path}.${name}`)
      return {M: map}
    }

    default: {
      throw new LineError(`"${path}" has the unknown type "${type}" (one of ${TYPES.join(', ')})`)
    }
  }
}

/** Plain JSON → AttributeValue, as the document client would write it. */
function marshallPlain(value: unknown, path: string): AttributeValue {
  if (typeof value === 'string') return {S: value}
  if (typeof value === 'number') return {N: String(value)}
  if (typeof value === 'boolean') return {BOOL: value}
  if (value === null) return {NULL: true}
  if (Array.isArray(value)) return {L: value.map((element, index) => marshallPlain(element, `${path}[${index}]`))}
  if (isObject(value)) {
    const map: Record<string, AttributeValue> = {}
    for (const [name, element] of Object.entries(value)) map[name] = marshallPlain(element, `${path}.${name}`)
    return {M: map}
  }

  throw new LineError(`"${path}" holds a value JSON cannot carry`)
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
