import { createHash } from 'node:crypto'
import { GROUP_SERVER, phoneJid } from '../jid.js'
import type { GroupInfo } from '../types.js'

export type SandboxAdmin = 'admin' | 'superadmin' | null

export interface SandboxGroup {
  jid: string
  subject: string
  description?: string
  owner: string
  creation: number
  /** phone → admin role */
  participants: Map<string, SandboxAdmin>
  inviteCode: string
}

const INVITE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/** The groups of a sandbox network. Groups only exist once someone creates or writes to one. */
export class SandboxGroups {
  private readonly groups = new Map<string, SandboxGroup>()
  private counter = 0
  private inviteCounter = 0

  constructor(private readonly seed: string) {}

  get(jid: string): SandboxGroup | undefined {
    return this.groups.get(jid)
  }

  create(owner: string, subject: string, members: string[], now: number, jid?: string): SandboxGroup {
    const group: SandboxGroup = {
      jid: jid ?? this.nextJid(),
      subject,
      owner,
      creation: now,
      participants: new Map([[owner, 'superadmin']]),
      inviteCode: this.nextInviteCode(),
    }
    for (const member of members) if (!group.participants.has(member)) group.participants.set(member, null)
    this.groups.set(group.jid, group)
    return group
  }

  /** The groups `phone` belongs to. */
  listFor(phone: string): SandboxGroup[] {
    return [...this.groups.values()].filter((group) => group.participants.has(phone))
  }

  /** Members of the group other than `phone`. */
  others(group: SandboxGroup, phone: string): string[] {
    return [...group.participants.keys()].filter((member) => member !== phone)
  }

  isAdmin(group: SandboxGroup, phone: string): boolean {
    return !!group.participants.get(phone)
  }

  rotateInvite(group: SandboxGroup): string {
    group.inviteCode = this.nextInviteCode()
    return group.inviteCode
  }

  info(group: SandboxGroup, lidFor: (phone: string) => string): GroupInfo {
    const participants = [...group.participants].map(([phone, admin]) => ({
      jid: phoneJid(phone),
      lid: lidFor(phone),
      phone,
      admin,
    }))
    return {
      jid: group.jid,
      subject: group.subject,
      description: group.description,
      owner: phoneJid(group.owner),
      creation: group.creation,
      size: participants.length,
      participants,
      announce: false,
      restrict: false,
    }
  }

  private nextJid(): string {
    this.counter++
    return `120363${String(this.counter).padStart(12, '0')}@${GROUP_SERVER}`
  }

  private nextInviteCode(): string {
    const digest = createHash('sha256')
      .update(`${this.seed}:invite:${++this.inviteCounter}`)
      .digest()
    let code = ''
    for (let i = 0; i < 22; i++) code += INVITE_ALPHABET[(digest[i] ?? 0) % INVITE_ALPHABET.length]
    return code
  }
}
