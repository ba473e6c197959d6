import type { ClientConnection } from './connection.js'
import type { SimContext } from './context.js'
import { isGroup, isLid } from './jid.js'
import type { SimDevice } from './network.js'
import { type BinaryNode, child, children, node, unixNow } from './nodes.js'

/** How a device appears as a sender to someone who addressed its user as `to` (PN or LID form). */
function senderAttrs(sender: SimDevice, lidForm: boolean): Record<string, string> {
  return lidForm
    ? { from: sender.lidJid, sender_pn: sender.user.jid }
    : { from: sender.jid, sender_lid: sender.user.lidJid }
}

/**
 * Routes a `<message>` a client sent: each `<to jid>` under `<participants>` carries the copy
 * encrypted for one device, which gets it as a message of its own. The sender gets the server ack.
 */
export function relayMessage(
  ctx: SimContext,
  conn: ClientConnection,
  sender: SimDevice,
  stanza: BinaryNode,
): void {
  const to = stanza.attrs.to ?? ''
  const id = stanza.attrs.id ?? ''
  const t = String(unixNow())
  if (isGroup(to)) {
    relayGroupMessage(ctx, sender, stanza)
    conn.send(node('ack', { class: 'message', id, from: to, t }))
    return
  }
  const lidForm = isLid(to)
  const base: Record<string, string> = {
    id,
    t,
    type: stanza.attrs.type ?? 'text',
    notify: sender.user.pushName,
  }
  for (const attr of ['edit', 'category', 'push_priority'] as const) {
    const value = stanza.attrs[attr]
    if (value) base[attr] = value
  }
  const deviceIdentity = child(stanza, 'device-identity')
  const copies: Array<{ target: SimDevice; encs: BinaryNode[] }> = []
  for (const participant of children(child(stanza, 'participants'), 'to')) {
    const target = ctx.network.findDevice(participant.attrs.jid ?? '')
    if (target) copies.push({ target, encs: children(participant, 'enc') })
    else ctx.log(`relay: no device ${participant.attrs.jid} for message ${id}`)
  }
  // Peer messages and retries carry one <enc> for exactly the device named in `to`.
  const direct = children(stanza, 'enc')
  if (direct.length) {
    const target = ctx.network.findDevice(to)
    if (target) copies.push({ target, encs: direct })
  }
  for (const { target, encs } of copies) {
    const attrs = { ...senderAttrs(sender, lidForm), ...base }
    // A copy for the sender's own other devices names the chat it belongs to.
    if (target.user === sender.user && target.user.lidJid !== to && target.user.jid !== to)
      attrs.recipient = to
    const withIdentity = deviceIdentity && encs.some((e) => e.attrs.type === 'pkmsg')
    ctx.deliver(target, node('message', attrs, withIdentity ? [...encs, deviceIdentity] : encs), sender)
  }
  conn.send(node('ack', { class: 'message', id, from: to, t }))
}

/**
 * Fans a group message out to every member device: each gets the `skmsg` (encrypted once with the
 * sender's sender key) and, when the sender addressed it one, its own envelope carrying that key.
 */
function relayGroupMessage(ctx: SimContext, sender: SimDevice, stanza: BinaryNode): void {
  const group = ctx.groups.find(stanza.attrs.to ?? '')
  if (!group?.participants.has(sender.user)) {
    ctx.log(`relay: ${sender.jid} is not in group ${stanza.attrs.to}`)
    return
  }
  const envelopes = new Map<SimDevice, BinaryNode[]>()
  for (const participant of children(child(stanza, 'participants'), 'to')) {
    const target = ctx.network.findDevice(participant.attrs.jid ?? '')
    if (target) envelopes.set(target, children(participant, 'enc'))
  }
  const skmsg = children(stanza, 'enc').filter((e) => e.attrs.type === 'skmsg')
  const deviceIdentity = child(stanza, 'device-identity')
  const lid = group.addressingMode === 'lid'
  const attrs: Record<string, string> = {
    from: group.id,
    participant: lid ? sender.lidJid : sender.jid,
    id: stanza.attrs.id ?? '',
    t: String(unixNow()),
    type: stanza.attrs.type ?? 'text',
    notify: sender.user.pushName,
    addressing_mode: group.addressingMode,
    ...(lid ? { participant_pn: sender.user.jid } : { participant_lid: sender.user.lidJid }),
  }
  for (const target of ctx.groups.memberDevices(group, sender)) {
    const own = envelopes.get(target) ?? []
    const content = [...own, ...skmsg]
    if (deviceIdentity && own.some((e) => e.attrs.type === 'pkmsg')) content.push(deviceIdentity)
    ctx.deliver(target, node('message', attrs, content), sender)
  }
}

/** Routes a `<receipt>` a client sent to every device of the user it is addressed to. */
export function relayReceipt(
  ctx: SimContext,
  conn: ClientConnection,
  sender: SimDevice,
  stanza: BinaryNode,
): void {
  const to = stanza.attrs.to ?? ''
  // In a group the receipt goes to the message's author, named in `participant`.
  const author = isGroup(to) ? (stanza.attrs.participant ?? '') : to
  const target = ctx.network.findUser(author)
  const senderJid = isLid(author) ? sender.user.lidJid : sender.user.jid
  const attrs: Record<string, string> = {
    from: isGroup(to) ? to : senderJid,
    id: stanza.attrs.id ?? '',
    t: stanza.attrs.t ?? String(unixNow()),
  }
  if (isGroup(to)) attrs.participant = senderJid
  // A client that is not "active" confirms delivery with type=inactive: it is a delivery all the same.
  const type = stanza.attrs.type
  if (type && type !== 'inactive') attrs.type = type
  const forwarded = node('receipt', attrs, stanza.content)
  for (const device of target?.devices.values() ?? []) {
    if (device !== sender && (device.receiver || device.companion)) ctx.deliver(device, forwarded, sender)
  }
  conn.send(node('ack', { class: 'receipt', id: attrs.id, from: to }))
}
