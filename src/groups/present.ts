import {
  GROUP_SERVER,
  isGroupJid,
  LID_SERVER,
  parseJid,
  phoneOfJid,
  toChatJid,
  USER_SERVER,
} from '../engine/jid.js'
import type { GroupInfo, ParticipantUpdateResult } from '../engine/types.js'
import { AppError, validationError } from '../http/errors.js'

/**
 * A group JID from a path segment: `120363…@g.us`, URL-encoded or not, or the bare group id
 * (`120363…`, which cannot be a phone number: group ids are longer).
 */
export function groupJidOf(value: string): string {
  let text = value.trim()
  if (text.includes('%')) {
    try {
      text = decodeURIComponent(text)
    } catch {
      // Left as given; the checks below refuse it.
    }
  }
  const jid = text.includes('@')
    ? toChatJid(text)
    : /^\d[\d-]{5,}$/.test(text)
      ? `${text}@${GROUP_SERVER}`
      : null
  if (!jid || !isGroupJid(jid)) throw validationError('jid', 'The jid field must be a group JID (…@g.us).')
  return jid
}

/** Participants as phone numbers or JIDs; each that is neither is a 422 on `participants.{i}`. */
export function participantJidsOf(values: string[]): string[] {
  const details: Record<string, string[]> = {}
  const jids = values.map((value, index) => {
    const jid = toChatJid(value)
    const server = jid ? parseJid(jid)?.server : undefined
    if (!jid || (server !== USER_SERVER && server !== LID_SERVER)) {
      details[`participants.${index}`] = [
        `The participants.${index} field must be a phone number with country code or a WhatsApp JID.`,
      ]
      return ''
    }
    return jid
  })
  if (Object.keys(details).length > 0)
    throw new AppError('VALIDATION_ERROR', 'The given data was invalid.', details)
  return [...new Set(jids)]
}

/** WhatsApp's epoch milliseconds as the seconds the documents show, and as ISO. */
function creationOf(info: GroupInfo) {
  // WhatsApp keeps creation times in whole seconds; both spellings show the same instant.
  const seconds = info.creation ? Math.floor(info.creation / 1000) : null
  return { creation: seconds, created_at: seconds === null ? null : new Date(seconds * 1000).toISOString() }
}

/** One group in a list: the web docs' fields and the reference's (`participants_count`, `creation`). */
export function groupSummary(info: GroupInfo) {
  return {
    jid: info.jid,
    subject: info.subject,
    description: info.description ?? null,
    owner: info.owner ?? null,
    size: info.size,
    participants_count: info.size,
    ...creationOf(info),
  }
}

export function groupDetail(info: GroupInfo) {
  return {
    ...groupSummary(info),
    announce: info.announce ?? false,
    restrict: info.restrict ?? false,
    participants: info.participants.map((participant) => ({
      jid: participant.jid,
      phone: participant.phone ?? phoneOfJid(participant.jid) ?? null,
      lid: participant.lid ?? null,
      admin: participant.admin ?? null,
    })),
  }
}

export type GroupSummary = ReturnType<typeof groupSummary>
export type GroupDetail = ReturnType<typeof groupDetail>

/** What WhatsApp's per-participant status codes mean. */
const OUTCOME: Record<number, string> = {
  200: 'done',
  400: 'not a valid participant',
  401: 'not allowed by this participant',
  403: 'not allowed: this participant cannot be added, or the instance is not an admin',
  404: 'not on WhatsApp, or not in the group',
  406: 'not allowed for the group owner',
  408: 'recently left the group and cannot be added yet',
  409: 'already in the group',
}

export function participantResult(result: ParticipantUpdateResult) {
  return {
    jid: result.jid,
    phone: phoneOfJid(result.jid) ?? null,
    status: result.status,
    success: result.ok,
    result: OUTCOME[result.status] ?? `WhatsApp answered ${result.status}`,
  }
}

export function inviteLink(code: string): string {
  return `https://chat.whatsapp.com/${code}`
}
