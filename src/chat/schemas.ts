import { Type } from '@sinclair/typebox'
import { Message } from '../messages/schemas.js'

export const GroupedReaction = Type.Object({
  emoji: Type.String(),
  count: Type.Integer(),
  has_my_reaction: Type.Boolean(),
  reactors: Type.Array(Type.String(), { description: 'Numbers of those who reacted' }),
  reactor_names: Type.Array(Type.String()),
})

const chatFields = {
  formatted_body: Type.Union([Type.String(), Type.Null()], {
    description:
      'The text as HTML: escaped, @mentions as <span class="mention" data-phone="…">@Name</span>, *bold*, _italic_, ~strike~, ```mono```',
  }),
  grouped_reactions: Type.Array(GroupedReaction),
}

export const ChatMessage = Type.Composite([Message, Type.Object(chatFields)])

/** A history item: the chat fields are there with format=chat (and on the chat endpoints). */
export const HistoryMessage = Type.Composite([
  Message,
  Type.Object({
    formatted_body: Type.Optional(chatFields.formatted_body),
    grouped_reactions: Type.Optional(chatFields.grouped_reactions),
  }),
])

export const History = Type.Object({
  messages: Type.Array(HistoryMessage, { description: 'Oldest first' }),
  has_more: Type.Boolean({
    description: 'Older messages exist (newer ones, when paging forward with only after_id)',
  }),
  oldest_id: Type.Union([Type.Integer(), Type.Null()]),
  newest_id: Type.Union([Type.Integer(), Type.Null()]),
})

export const ChatQueued = Type.Composite([
  ChatMessage,
  Type.Object({
    delay_seconds: Type.Integer({ description: 'Expected wait before the message goes out' }),
    remaining_quota: Type.Integer({ description: 'Messages the instance may still send today' }),
  }),
])
