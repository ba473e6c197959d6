import { isLid, pnJid } from './jid.js'
import type { Network, SimUser } from './network.js'
import { type BinaryNode, child, children, iqResult, node, text, unixNow } from './nodes.js'

const DEFAULT_ABOUT = 'Hey there! I am using WhatsApp.'

/** One `<user>` of a usync query: found by jid, or by phone number through the contact protocol. */
function lookup(network: Network, request: BinaryNode): { jid: string; user?: SimUser } {
  const jid = request.attrs.jid
  if (jid) return { jid, user: network.findUser(jid) }
  const phone = text(child(request, 'contact'))?.replace(/[^0-9]/g, '') ?? ''
  const found = pnJid(phone)
  return { jid: found, user: network.findUser(found) }
}

/** Device list: the primary device, then linked companions (which must carry a key index). */
function devices(user: SimUser | undefined): BinaryNode {
  const list = [...(user?.devices.values() ?? [])]
    .filter((d) => d.keys)
    .sort((a, b) => a.id - b.id)
    .map((d) => node('device', { id: d.id, 'key-index': d.companion ? d.companion.keyIndex : undefined }))
  return node('devices', {}, [node('device-list', {}, list)])
}

function answer(protocol: string, user: SimUser | undefined, jid: string): BinaryNode | undefined {
  switch (protocol) {
    case 'devices':
      return devices(user)
    case 'lid':
      // Asked by LID, the user already is one; otherwise say which LID the number has.
      return node('lid', user && !isLid(jid) ? { val: user.lidJid } : {})
    case 'contact':
      return node('contact', { type: user ? 'in' : 'out' })
    case 'status':
      return user
        ? node('status', { t: unixNow() }, Buffer.from(DEFAULT_ABOUT))
        : node('status', { code: 404 })
    case 'disappearing_mode':
      return node('disappearing_mode', { duration: 0, t: 0 })
    default:
      return undefined
  }
}

/** Answers `xmlns="usync"` iqs for the protocols Baileys asks: devices, lid, contact, status, ... */
export function handleUsyncIq(network: Network, iq: BinaryNode): BinaryNode {
  const usync = child(iq, 'usync')
  const protocols = children(child(usync, 'query')).map((p) => p.tag)
  const users = children(child(usync, 'list'), 'user').map((request) => {
    const { jid, user } = lookup(network, request)
    const content = protocols.map((p) => answer(p, user, jid)).filter((n): n is BinaryNode => !!n)
    return node('user', { jid }, content)
  })
  return iqResult(iq, [
    node('usync', { sid: usync?.attrs.sid, index: 0, last: 'true' }, [
      node(
        'result',
        {},
        protocols.map((p) => node(p, {})),
      ),
      node('list', {}, users),
    ]),
  ])
}
