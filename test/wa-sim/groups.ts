import { randomInt } from 'node:crypto'
import type { Network, SimDevice, SimUser } from './network.js'
import { type BinaryNode, child, children, iqError, iqResult, node, text, unixNow } from './nodes.js'

export type GroupRole = 'superadmin' | 'admin' | null

export interface SimGroup {
  readonly id: string
  subject: string
  description?: string
  readonly creator: SimUser
  readonly creation: number
  readonly participants: Map<SimUser, GroupRole>
  /** `lid`: members appear by LID (WhatsApp's default for new groups); `pn`: by phone number. */
  readonly addressingMode: 'lid' | 'pn'
}

/** Sends a group notification to member devices (the server's `w:gp2` stanzas). */
export type GroupNotifier = (group: SimGroup, actor: SimUser, change: BinaryNode, except?: SimDevice) => void

/** Groups on the simulated network: creation, metadata and membership (`xmlns="w:g2"`). */
export class Groups {
  private readonly groups = new Map<string, SimGroup>()

  constructor(
    private readonly network: Network,
    private readonly notify: GroupNotifier,
  ) {}

  find(jid: string): SimGroup | undefined {
    return this.groups.get(jid)
  }

  create(
    subject: string,
    creator: SimUser,
    members: SimUser[],
    addressingMode: 'lid' | 'pn' = 'lid',
  ): SimGroup {
    const id = `120363${String(randomInt(0, 10 ** 12)).padStart(12, '0')}@g.us`
    const participants = new Map<SimUser, GroupRole>([[creator, 'superadmin']])
    for (const member of members) if (!participants.has(member)) participants.set(member, null)
    const group: SimGroup = { id, subject, creator, creation: unixNow(), participants, addressingMode }
    this.groups.set(id, group)
    return group
  }

  /** Every device of every member that can receive (has keys), except `exclude`. */
  memberDevices(group: SimGroup, exclude?: SimDevice): SimDevice[] {
    return [...group.participants.keys()].flatMap((user) =>
      [...user.devices.values()].filter((d) => d.keys && d !== exclude),
    )
  }

  /** How a user is named inside the group, by its addressing mode. */
  memberJid(group: SimGroup, user: SimUser): string {
    return group.addressingMode === 'lid' ? user.lidJid : user.jid
  }

  participantNode(group: SimGroup, user: SimUser, role: GroupRole = null): BinaryNode {
    return group.addressingMode === 'lid'
      ? node('participant', { jid: user.lidJid, phone_number: user.jid, type: role ?? undefined })
      : node('participant', { jid: user.jid, lid: user.lidJid, type: role ?? undefined })
  }

  metadata(group: SimGroup): BinaryNode {
    const content = [...group.participants].map(([user, role]) => this.participantNode(group, user, role))
    if (group.description) {
      content.push(
        node('description', { id: 'desc', t: group.creation }, [
          node('body', {}, Buffer.from(group.description)),
        ]),
      )
    }
    return node(
      'group',
      {
        id: group.id.split('@')[0],
        subject: group.subject,
        s_t: group.creation,
        s_o: this.memberJid(group, group.creator),
        creation: group.creation,
        creator: this.memberJid(group, group.creator),
        creator_pn: group.addressingMode === 'lid' ? group.creator.jid : undefined,
        addressing_mode: group.addressingMode,
        size: group.participants.size,
      },
      content,
    )
  }

  /** Answers `xmlns="w:g2"` iqs from a logged-in device. */
  handleIq(device: SimDevice, iq: BinaryNode): BinaryNode {
    const me = device.user
    const [action] = children(iq)
    if (!action) return iqError(iq, 400, 'bad-request')
    if (iq.attrs.to === '@g.us' || iq.attrs.to === 'g.us') {
      if (action.tag === 'create') {
        const members = children(action, 'participant')
          .map((p) => this.network.findUser(p.attrs.jid ?? ''))
          .filter((u): u is SimUser => !!u)
        const group = this.create(action.attrs.subject ?? '', me, members)
        this.notify(group, me, node('create', {}, [this.metadata(group)]), device)
        return iqResult(iq, [this.metadata(group)])
      }
      if (action.tag === 'participating') {
        const mine = [...this.groups.values()].filter((g) => g.participants.has(me))
        return iqResult(iq, [
          node(
            'groups',
            {},
            mine.map((g) => this.metadata(g)),
          ),
        ])
      }
      if (action.tag === 'leave') {
        for (const g of children(action, 'group')) {
          const group = this.find(`${(g.attrs.id ?? '').split('@')[0]}@g.us`)
          if (!group?.participants.has(me)) continue
          this.notify(group, me, node('leave', {}, [this.participantNode(group, me)]), device)
          group.participants.delete(me)
        }
        return iqResult(iq, [action])
      }
      return iqError(iq, 501, 'feature-not-implemented')
    }
    const group = this.find(iq.attrs.to ?? '')
    if (!group) return iqError(iq, 404, 'item-not-found')
    if (!group.participants.has(me)) return iqError(iq, 401, 'not-authorized')
    switch (action.tag) {
      case 'query':
        return iqResult(iq, [this.metadata(group)])
      case 'subject':
        group.subject = text(action) ?? ''
        this.notify(
          group,
          me,
          node('subject', { subject: group.subject, s_o: this.memberJid(group, me), s_t: unixNow() }),
        )
        return iqResult(iq)
      case 'description':
        group.description = text(child(action, 'body'))
        return iqResult(iq)
      case 'add':
      case 'remove':
      case 'promote':
      case 'demote':
        return this.changeMembers(group, me, action, iq)
      case 'invite':
        return iqResult(iq, [node('invite', { code: group.id.slice(6, 22) })])
      default:
        return iqResult(iq)
    }
  }

  private changeMembers(group: SimGroup, me: SimUser, action: BinaryNode, iq: BinaryNode): BinaryNode {
    if (!group.participants.get(me)) return iqError(iq, 403, 'forbidden')
    const results: BinaryNode[] = []
    const changed: BinaryNode[] = []
    for (const p of children(action, 'participant')) {
      const user = this.network.findUser(p.attrs.jid ?? '')
      const member = user && group.participants.has(user)
      const ok = action.tag === 'add' ? user && !member : member
      if (!user || !ok) {
        results.push(node('participant', { jid: p.attrs.jid, error: user ? 409 : 404 }))
        continue
      }
      if (action.tag === 'add') group.participants.set(user, null)
      if (action.tag === 'remove') group.participants.delete(user)
      if (action.tag === 'promote') group.participants.set(user, 'admin')
      if (action.tag === 'demote') group.participants.set(user, null)
      results.push(node('participant', { jid: p.attrs.jid }))
      changed.push(this.participantNode(group, user))
    }
    if (changed.length) this.notify(group, me, node(action.tag, {}, changed))
    return iqResult(iq, [node(action.tag, {}, results)])
  }
}
