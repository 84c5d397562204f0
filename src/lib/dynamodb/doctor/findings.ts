/**
 * What `ddb doctor` can find, one kind per problem a table used by the Cruddur app, its course Lambda and
 * earlier versions of this CLI can have. Each finding names the item or conversation it is about.
 */
export const FINDING_KINDS = {
  shape: "the table differs from cruddur's shape (keys, index, stream)",
  'duplicate-rows': 'an owner has several rows for one conversation',
  'missing-row': 'a participant has no row for a conversation',
  'stale-row': "a row does not show its conversation's newest message (text, time, last_message_sk)",
  'row-key-layout': "a row's key is not the canonical time of the message it shows",
  'empty-conversation': 'rows of a conversation that has no messages',
  'orphan-messages': 'messages of a conversation that has no rows (--deep)',
  'split-pair': 'a pair of users has several conversations (fixed with --merge-conversations)',
  'non-canonical-key': 'a message key not in the canonical UTC form (--deep)',
  'text-less-tombstone': "a deleted message (--deep) or a row showing one without `message`, which the app can't read",
} as const

export type FindingKind = keyof typeof FINDING_KINDS

export interface Finding {
  kind: FindingKind
  /** The conversation (message_group_uuid), the pair (`<uuid>:<uuid>`), the item (`<pk> <sk>`) or the table. */
  id: string
  detail: string
  /** Under --fix: whether the repair left it healthy (absent when nothing was repaired). */
  fixed?: boolean
}

/** Examples shown per kind in the human summary (--json carries every finding). */
export const EXAMPLES_PER_KIND = 3

export function countByKind(findings: Finding[]): Record<FindingKind, number> {
  const counts = Object.fromEntries(Object.keys(FINDING_KINDS).map((kind) => [kind, 0])) as Record<FindingKind, number>
  for (const finding of findings) counts[finding.kind]++
  return counts
}
