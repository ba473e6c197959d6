import type { MessageRow } from './repository.js'

export interface InstanceRef {
  id: number
  uuid: string
  tenantId: number
  phone: string | null
}

/** The fields every message event carries: the web docs' data plus the reference's `message` and `instance`. */
export function messageEventData(message: MessageRow, instance: InstanceRef): Record<string, unknown> {
  const incoming = message.direction === 'incoming'
  const content = message.body ?? message.caption ?? null
  const counterpart = incoming ? message.sender_number : message.recipient_number
  return {
    message_id: message.uuid,
    whatsapp_message_id: message.whatsapp_message_id,
    ...(incoming
      ? { sender_number: message.sender_number, sender_name: message.sender_name }
      : { recipient_number: message.recipient_number }),
    chat_jid: message.chat_jid,
    type: message.type,
    content,
    media_type: message.media_mime ? message.type : null,
    media_url: message.media_url,
    caption: message.caption,
    timestamp: message.sent_at ?? message.created_at,
    conversation_id: message.conversation_id,
    message: {
      id: message.id,
      unique_id: message.uuid,
      direction: message.direction,
      sender_number: incoming ? message.sender_number : instance.phone,
      recipient_number: incoming ? instance.phone : counterpart,
      message_body: content,
      status: message.status,
    },
    instance: { uuid: instance.uuid, phone_number: instance.phone },
  }
}

export function statusEventData(
  message: MessageRow,
  instance: InstanceRef,
  previous: string,
  next: string,
  at: string,
): Record<string, unknown> {
  return {
    ...messageEventData(message, instance),
    previous_status: previous,
    new_status: next,
    status: next,
    timestamp: at,
    error_code: message.error_code,
    error_message: message.error_message,
  }
}
