import type { Static } from '@sinclair/typebox'
import type { MediaKind } from '../engine/types.js'
import { validationError } from '../http/errors.js'
import type { SendBody, SendMediaBody } from './schemas.js'
import type { SendMediaInput, SendTextInput } from './service.js'

// The send bodies accept the documents' aliases (recipient|number|to, reply_to|quoted_message_id,
// media_url|url, media_type|type); /messages and /chat read them the same way.

function recipientOf(body: { recipient?: string; number?: string; to?: string }): string {
  const recipient = body.recipient ?? body.number ?? body.to
  if (!recipient) throw validationError('recipient', 'The recipient field is required.')
  return recipient
}

export function sendTextInput(body: Static<typeof SendBody>): SendTextInput {
  return {
    instance: body.instance_id,
    recipient: recipientOf(body),
    message: body.message,
    reply_to: body.reply_to ?? body.quoted_message_id,
    schedule_at: body.schedule_at,
    mentions: body.mentions,
  }
}

export function sendMediaInput(body: Static<typeof SendMediaBody>): SendMediaInput {
  const recipient = recipientOf(body)
  const url = body.media_url !== undefined ? 'media_url' : body.url !== undefined ? 'url' : null
  if (body.media_id === undefined && !url) {
    throw validationError('media_url', 'The media_url or media_id field is required.')
  }
  return {
    instance: body.instance_id,
    recipient,
    media_id: body.media_id,
    media_url: url ? { value: (body.media_url ?? body.url)!, field: url } : undefined,
    media_type: (body.media_type ?? body.type) as MediaKind | undefined,
    caption: body.caption,
    filename: body.filename,
    reply_to: body.reply_to ?? body.quoted_message_id,
    schedule_at: body.schedule_at,
  }
}
