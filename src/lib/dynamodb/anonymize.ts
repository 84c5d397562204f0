import {createHash} from 'node:crypto'

import {isConversationRow, isMessageItem, messageGroupUuidOf} from './items.js'
import {parseKeyTime} from './key-time.js'
import {GROUP_INDEX_PARTITION_KEY} from './schema.js'
import type {RawItem} from './typed-json.js'

/**
 * What `ddb export --anonymize` replaces, and nothing else:
 *
 * - `message` of messages (MSG#) and of conversation rows (GRP#): generated text of the same length in
 *   characters, from the message's conversation and the instant of its sort key. A row holds its last
 *   message's text and names that message by `last_message_sk` (or, in rows written without it, by its own
 *   key's time), so a row's text equals its message's replacement, in every key format.
 * - `user_display_name` of messages and rows: a generated name of the same length, from `user_uuid`, so a
 *   user has one name across the copy.
 *
 * Keys, uuids, handles, times and markers stay as they are, so every access pattern reads the copy as it
 * reads the source. Replacements come from a hash of those ids, not of the text, and are the same in every
 * export.
 */
export const ANONYMIZED_ATTRIBUTES = ['message', 'user_display_name'] as const

const SYLLABLES = ['ka', 'lo', 'mi', 'nu', 'pe', 'ra', 'so', 'ti', 'vu', 'ze', 'bo', 'da', 'fe', 'gu', 'hi', 'jo']

/**
 * A stream of pseudo-words, deterministic for a seed, not words of any language (so no source text is met by chance).
 */
function* words(seed: string): Generator<string> {
  for (let block = 0; ; block++) {
    const digest = createHash('sha256').update(`${seed}:${block}`).digest()
    for (let index = 0; index + 2 < digest.length; index += 3) {
      const length = 1 + (digest[index] % 3)
      yield Array.from({length}, (_, part) => SYLLABLES[digest[index + 1 + (part % 2)] % SYLLABLES.length]).join('')
    }
  }
}

/** Text of exactly `length` characters (code points), generated from `seed`. */
export function generatedText(seed: string, length: number, options: {capitalize?: boolean} = {}): string {
  let text = ''
  for (const word of words(seed)) {
    if (text.length >= length) break
    const next = options.capitalize ? word[0].toUpperCase() + word.slice(1) : word
    text += text ? ` ${next}` : next
  }

  text = text.slice(0, length)
  // No trailing space: a name or sentence ending in a space looks like a bug.
  return text.endsWith(' ') ? `${text.slice(0, -1)}${SYLLABLES[0][0]}` : text
}

const characters = (text: string) => [...text].length

/** The item with its message text and display name replaced (see above); other items are returned unchanged. */
export function anonymizeItem(item: RawItem): RawItem {
  const pk = item.pk?.S ?? ''
  const isMessage = isMessageItem({pk})
  const isRow = isConversationRow({pk})
  if (!isMessage && !isRow) return item
  const group = isMessage ? messageGroupUuidOf({pk}) : item[GROUP_INDEX_PARTITION_KEY]?.S
  // A row names its message by last_message_sk where it has one, else by its own key's time.
  const sk = (isRow ? item.last_message_sk?.S : undefined) ?? item.sk?.S ?? ''
  // The instant, not the key text: a row and its message can hold the time in different key forms.
  const time = parseKeyTime(sk)?.micros.toString() ?? sk
  const out = {...item}
  const message = item.message?.S
  // A tombstone's text (DELETED_MESSAGE_TEXT) is no one's: it stays, as the app shows it.
  if (message !== undefined && item.deleted_at === undefined)
    out.message = {S: generatedText(`message:${group}:${time}`, characters(message))}
  const name = item.user_display_name?.S
  const user = item.user_uuid?.S
  if (name !== undefined)
    out.user_display_name = {S: generatedText(`name:${user ?? name}`, characters(name), {capitalize: true})}
  return out
}
