import {expect} from 'chai'

import {anonymizeItem} from '../../src/lib/dynamodb/anonymize.js'
import {DELETED_MESSAGE_TEXT} from '../../src/lib/dynamodb/items.js'

describe('anonymised items', () => {
  const message = {
    message: {S: 'a secret'},
    message_uuid: {S: '0b6f3f7e-8c5a-4f4e-9d1e-0a6c2b1d9e11'},
    pk: {S: 'MSG#5ae290ed-55d1-47a0-bc6d-fe2bc2700399'},
    sk: {S: '2026-11-29T11:51:56.529847+00:00'},
    user_display_name: {S: 'Ann Tester'},
    user_uuid: {S: '1c0b7c8e-3d5f-4a57-8a59-9f3f1c2e7a10'},
  }

  it("keeps a tombstone's deleted text (no one's, and what the app shows) and replaces a message's text", () => {
    expect(anonymizeItem(message).message).to.not.deep.equal(message.message)
    const tombstone = {...message, deleted_at: {S: '2026-11-29T12:00:00.000Z'}, message: {S: DELETED_MESSAGE_TEXT}}
    expect(anonymizeItem(tombstone).message).to.deep.equal({S: DELETED_MESSAGE_TEXT})
  })
})
