/** The four access patterns of direct messages, over an injected DynamoDB document client. */
export {getConversation, type ConversationPage} from './get-conversation.js'
export {listConversations, type ConversationListPage} from './list-conversations.js'
export {
  createMessage,
  findConversationBetween,
  type CreateMessageInput,
  type CreateMessageResult,
} from './create-message.js'
export {CONVERSATION_MARKER_PREFIX} from '../items.js'
export {
  applyMessageToConversation,
  newestMessage,
  reconcileConversationRows,
  updateMessageGroup,
  type ApplyResult,
  type UpdateMessageGroupResult,
} from './update-message-group.js'
export {conversationUuidFor} from './conversation-uuid.js'
export {
  type ConversationRowItem,
  isNewerThanRow,
  membersOf,
  ownerUuidOf,
  requireMembers,
  type ConversationMembers,
} from './conversation-rows.js'
export {
  MAX_MESSAGE_LENGTH,
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  requireUuid,
  requireMessageText,
  requireOtherRecipient,
} from './input.js'
export {type Page} from './page.js'
export {type Conversation, type Message, messageFromItem, conversationFromRow} from './views.js'
