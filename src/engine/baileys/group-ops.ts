import { EngineError } from '../errors.js'
import { isGroupJid, toChatJid } from '../jid.js'
import type { GroupInfo, ParticipantAction, ParticipantUpdateResult } from '../types.js'
import { toEngineError } from './errors.js'
import { type GroupMetadataCache, toGroupInfo } from './groups.js'
import { normalizeJid } from './mapping/context.js'
import type { BaileysSocket } from './socket.js'

function groupJid(jid: string): string {
  const chat = toChatJid(jid)
  if (!chat || !isGroupJid(chat))
    throw new EngineError('INVALID_ARGUMENT', `"${jid}" is not a group JID`, { jid })
  return chat
}

function memberJids(participants: string[]): string[] {
  return participants.map((p) => {
    const jid = toChatJid(p)
    if (!jid || isGroupJid(jid))
      throw new EngineError('INVALID_RECIPIENT', `"${p}" is not a phone number or JID`, { p })
    return jid
  })
}

async function call<T>(work: () => Promise<T>, jid?: string): Promise<T> {
  try {
    return await work()
  } catch (error) {
    throw toEngineError(error, jid ? { jid } : {}, 'GROUP_NOT_FOUND')
  }
}

/** Group operations on a socket, keeping the metadata cache in step with what they change. */
export class BaileysGroups {
  constructor(private readonly cache: GroupMetadataCache) {}

  async list(sock: BaileysSocket): Promise<GroupInfo[]> {
    const groups = await call(() => sock.groupFetchAllParticipating())
    const all = Object.values(groups)
    await Promise.all(all.map((metadata) => this.cache.set(metadata.id, metadata)))
    return all.map(toGroupInfo)
  }

  async metadata(sock: BaileysSocket, jid: string): Promise<GroupInfo> {
    const id = groupJid(jid)
    const metadata = await call(() => sock.groupMetadata(id), id)
    await this.cache.set(id, metadata)
    return toGroupInfo(metadata)
  }

  async create(sock: BaileysSocket, subject: string, participants: string[]): Promise<GroupInfo> {
    if (!subject.trim()) throw new EngineError('INVALID_ARGUMENT', 'a group needs a subject')
    const metadata = await call(() => sock.groupCreate(subject.trim(), memberJids(participants)))
    await this.cache.set(metadata.id, metadata)
    return toGroupInfo(metadata)
  }

  async update(
    sock: BaileysSocket,
    jid: string,
    change: { subject?: string; description?: string },
  ): Promise<void> {
    const id = groupJid(jid)
    if (change.subject !== undefined) {
      if (!change.subject.trim()) throw new EngineError('INVALID_ARGUMENT', 'a group needs a subject')
      await call(() => sock.groupUpdateSubject(id, change.subject!.trim()), id)
    }
    if (change.description !== undefined) {
      await call(() => sock.groupUpdateDescription(id, change.description || undefined), id)
    }
    await this.cache.delete(id)
  }

  async participants(
    sock: BaileysSocket,
    jid: string,
    participants: string[],
    action: ParticipantAction,
  ): Promise<ParticipantUpdateResult[]> {
    const id = groupJid(jid)
    const results = await call(() => sock.groupParticipantsUpdate(id, memberJids(participants), action), id)
    await this.cache.delete(id)
    return results.map((result) => {
      const status = Number(result.status) || 500
      return { jid: normalizeJid(result.jid) ?? result.jid ?? '', status, ok: status === 200 }
    })
  }

  async inviteCode(sock: BaileysSocket, jid: string, revoke: boolean): Promise<string> {
    const id = groupJid(jid)
    const code = await call(() => (revoke ? sock.groupRevokeInvite(id) : sock.groupInviteCode(id)), id)
    if (!code) throw new EngineError('ENGINE_ERROR', 'WhatsApp answered no invite code', { jid: id })
    return code
  }

  async leave(sock: BaileysSocket, jid: string): Promise<void> {
    const id = groupJid(jid)
    await call(() => sock.groupLeave(id), id)
    await this.cache.delete(id)
  }

  /** Something changed in a group: the next send must not trust the cached member list. */
  invalidate(jid: string): void | Promise<void> {
    return this.cache.delete(jid)
  }
}
