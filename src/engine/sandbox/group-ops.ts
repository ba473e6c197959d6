import { EngineError } from '../errors.js'
import type { GroupEvent } from '../events.js'
import { isGroupJid, normalizePhone, phoneJid, toChatJid } from '../jid.js'
import type { GroupInfo, ParticipantAction, ParticipantUpdateResult } from '../types.js'
import type { SandboxGroup } from './groups.js'
import { isOnWhatsApp } from './network.js'
import type { SandboxAccount, SandboxSession } from './session.js'

export function findGroup(session: SandboxSession, me: SandboxAccount, jid: string): SandboxGroup {
  const chat = toChatJid(jid)
  const group = chat && isGroupJid(chat) ? session.network.groups.get(chat) : undefined
  if (!group) throw new EngineError('GROUP_NOT_FOUND', `group ${jid} does not exist`, { jid })
  if (!group.participants.has(me.phone)) {
    throw new EngineError('FORBIDDEN', `this number is not a participant of ${group.jid}`, { jid: group.jid })
  }
  return group
}

function requireAdmin(session: SandboxSession, me: SandboxAccount, group: SandboxGroup): void {
  if (!session.network.groups.isAdmin(group, me.phone)) {
    throw new EngineError('FORBIDDEN', `this number is not an admin of ${group.jid}`, { jid: group.jid })
  }
}

export function groupInfo(session: SandboxSession, group: SandboxGroup): GroupInfo {
  return session.network.groups.info(group, (phone) => session.network.lidFor(phone))
}

/** Tells every sandbox member (this instance included, through the network) what changed. */
export function broadcastGroup(
  session: SandboxSession,
  members: Iterable<string>,
  event: Omit<GroupEvent, 'at'>,
): void {
  const { network } = session
  const data = { ...event, at: network.clock.now() }
  for (const phone of new Set(members)) network.deliver(phone, (peer) => peer.receive('group', data))
}

function participantsOf(session: SandboxSession, phones: string[], group?: SandboxGroup) {
  return phones.map((phone) => ({
    jid: phoneJid(phone),
    lid: session.network.lidFor(phone),
    phone,
    admin: group?.participants.get(phone) ?? null,
  }))
}

export function createGroup(
  session: SandboxSession,
  me: SandboxAccount,
  subject: string,
  participants: string[],
): GroupInfo {
  if (!subject.trim()) throw new EngineError('INVALID_ARGUMENT', 'a group needs a subject')
  const phones = participants.map((p) => normalizePhone(p)).filter((p): p is string => !!p && isOnWhatsApp(p))
  const group = session.network.groups.create(me.phone, subject.trim(), phones, session.network.clock.now())
  const members = [...group.participants.keys()]
  broadcastGroup(session, members, {
    jid: group.jid,
    action: 'create',
    subject: group.subject,
    author: me.jid,
    participants: participantsOf(session, members, group),
  })
  return groupInfo(session, group)
}

export function updateGroup(
  session: SandboxSession,
  me: SandboxAccount,
  jid: string,
  change: { subject?: string; description?: string },
): void {
  const group = findGroup(session, me, jid)
  if (change.subject !== undefined) {
    if (!change.subject.trim()) throw new EngineError('INVALID_ARGUMENT', 'a group needs a subject')
    group.subject = change.subject.trim()
  }
  if (change.description !== undefined) group.description = change.description || undefined
  broadcastGroup(session, group.participants.keys(), {
    jid: group.jid,
    action: 'update',
    author: me.jid,
    participants: [],
    ...change,
  })
}

export function updateParticipants(
  session: SandboxSession,
  me: SandboxAccount,
  jid: string,
  participants: string[],
  action: ParticipantAction,
): ParticipantUpdateResult[] {
  const group = findGroup(session, me, jid)
  requireAdmin(session, me, group)
  const before = [...group.participants.keys()]
  const changed: string[] = []
  const results = participants.map((input): ParticipantUpdateResult => {
    const phone = normalizePhone(input)
    if (!phone) return { jid: input, status: 400, ok: false }
    const status = applyParticipant(group, phone, action)
    if (status === 200) changed.push(phone)
    return { jid: phoneJid(phone), status, ok: status === 200 }
  })
  if (changed.length) {
    broadcastGroup(session, [...before, ...changed], {
      jid: group.jid,
      action,
      author: me.jid,
      participants: participantsOf(session, changed, group),
    })
  }
  return results
}

function applyParticipant(group: SandboxGroup, phone: string, action: ParticipantAction): number {
  const member = group.participants.has(phone)
  switch (action) {
    case 'add':
      if (!isOnWhatsApp(phone)) return 404
      if (member) return 409
      group.participants.set(phone, null)
      return 200
    case 'remove':
      if (!member) return 404
      if (phone === group.owner) return 406
      group.participants.delete(phone)
      return 200
    case 'promote':
    case 'demote':
      if (!member) return 404
      if (phone === group.owner) return 406
      group.participants.set(phone, action === 'promote' ? 'admin' : null)
      return 200
  }
}

export function inviteCode(
  session: SandboxSession,
  me: SandboxAccount,
  jid: string,
  revoke: boolean,
): string {
  const group = findGroup(session, me, jid)
  requireAdmin(session, me, group)
  if (!revoke) return group.inviteCode
  const code = session.network.groups.rotateInvite(group)
  broadcastGroup(session, group.participants.keys(), {
    jid: group.jid,
    action: 'update',
    author: me.jid,
    participants: [],
    inviteCode: code,
  })
  return code
}

export function leaveGroup(session: SandboxSession, me: SandboxAccount, jid: string): void {
  const group = findGroup(session, me, jid)
  const members = [...group.participants.keys()]
  group.participants.delete(me.phone)
  // An owner who leaves hands the group to the oldest remaining member, as WhatsApp does.
  if (group.owner === me.phone) {
    const [heir] = group.participants.keys()
    if (heir) {
      group.owner = heir
      group.participants.set(heir, 'superadmin')
    }
  }
  broadcastGroup(session, members, {
    jid: group.jid,
    action: 'remove',
    author: me.jid,
    participants: participantsOf(session, [me.phone]),
  })
}
