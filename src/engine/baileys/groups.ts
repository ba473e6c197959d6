import type { GroupMetadata } from 'baileys'
import { LruMap } from '../lru.js'
import type { GroupInfo } from '../types.js'
import { mapParticipant, preferPhone, secondsToMs } from './mapping/context.js'

/**
 * Where group metadata is cached for `cachedGroupMetadata`: without it every group send asks
 * WhatsApp for the member list first, which hits rate limits.
 */
export interface GroupMetadataCache {
  get(jid: string): GroupMetadata | undefined | Promise<GroupMetadata | undefined>
  set(jid: string, metadata: GroupMetadata): void | Promise<void>
  delete(jid: string): void | Promise<void>
}

/** A small in-memory cache whose entries expire, so changes made elsewhere show up eventually. */
export class MemoryGroupCache implements GroupMetadataCache {
  private readonly entries: LruMap<string, { metadata: GroupMetadata; until: number }>

  constructor(
    private readonly ttlMs = 5 * 60_000,
    limit = 200,
    private readonly now: () => number = Date.now,
  ) {
    this.entries = new LruMap(limit)
  }

  get(jid: string): GroupMetadata | undefined {
    const entry = this.entries.get(jid)
    if (!entry) return undefined
    if (entry.until > this.now()) return entry.metadata
    this.entries.delete(jid)
    return undefined
  }

  set(jid: string, metadata: GroupMetadata): void {
    this.entries.set(jid, { metadata, until: this.now() + this.ttlMs })
  }

  delete(jid: string): void {
    this.entries.delete(jid)
  }
}

export function toGroupInfo(metadata: GroupMetadata): GroupInfo {
  const participants = (metadata.participants ?? []).map(mapParticipant)
  const info: GroupInfo = {
    jid: metadata.id,
    subject: metadata.subject ?? '',
    size: metadata.size ?? participants.length,
    participants,
  }
  const owner = preferPhone(metadata.owner, metadata.ownerPn).jid
  if (owner) info.owner = owner
  if (metadata.desc) info.description = metadata.desc
  const creation = secondsToMs(metadata.creation)
  if (creation) info.creation = creation
  if (metadata.announce !== undefined) info.announce = metadata.announce
  if (metadata.restrict !== undefined) info.restrict = metadata.restrict
  return info
}
