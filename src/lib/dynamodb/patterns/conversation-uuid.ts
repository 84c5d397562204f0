import {createHash} from 'node:crypto'

/** The namespace of conversation ids (a fixed random uuid): changing it would split every pair's conversation. */
export const CONVERSATION_NAMESPACE = '8f0c1d52-6a4e-4b8e-9d33-2f6b7c1e4a90'

/** RFC 9562 UUID version 5: SHA-1 of namespace and name, with the version and variant bits set. */
export function uuidV5(name: string, namespace: string): string {
  const hash = createHash('sha1')
    .update(Buffer.from(namespace.replaceAll('-', ''), 'hex'))
    .update(name, 'utf8')
    .digest()
  const bytes = hash.subarray(0, 16)
  bytes[6] = (bytes[6] & 0x0f) | 0x50
  bytes[8] = (bytes[8] & 0x3f) | 0x80
  const hex = bytes.toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

/**
 * The message_group_uuid of the conversation between two users, the same whichever of them starts it: two
 * "start a conversation" requests for one pair always name the same group, so a conditional write on the
 * group's marker lets exactly one of them create it.
 */
export function conversationUuidFor(userUuidA: string, userUuidB: string): string {
  const [first, second] = [userUuidA.toLowerCase(), userUuidB.toLowerCase()].sort()
  return uuidV5(`${first}:${second}`, CONVERSATION_NAMESPACE)
}
