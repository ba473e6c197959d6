import type { ClientConnection } from './connection.js'
import type { Network, SimDevice } from './network.js'
import { type BinaryNode, child, children, iqError, iqResult, node } from './nodes.js'
import type { Pairing } from './pairing.js'
import { handleEncryptIq } from './prekeys.js'
import { handleUsyncIq } from './usync.js'

export interface IqContext {
  readonly network: Network
  readonly pairing: Pairing
  /** Leaves passive mode: the server starts delivering what it holds for the device. */
  activate(conn: ClientConnection, device: SimDevice): void
  removeCompanion(device: SimDevice, notify: boolean): void
  privacy(device: SimDevice): Map<string, string>
  /** Extra handlers by xmlns (media, app state, groups), consulted before the defaults. */
  readonly extraIq: Map<string, (conn: ClientConnection, device: SimDevice, iq: BinaryNode) => BinaryNode>
}

/** Answers an iq from a registering client (before it has a device). */
export function answerRegistrationIq(ctx: IqContext, conn: ClientConnection, iq: BinaryNode): BinaryNode {
  const linkCode = child(iq, 'link_code_companion_reg')
  if (iq.attrs.xmlns === 'md' && linkCode) return ctx.pairing.onLinkCodeIq(conn, iq, linkCode)
  if (iq.attrs.xmlns === 'w:p') return iqResult(iq)
  return iqError(iq, 401, 'not-authorized')
}

/** Answers an iq from a logged-in client. Unknown namespaces get an empty result, which Baileys accepts. */
export function answerIq(
  ctx: IqContext,
  conn: ClientConnection,
  device: SimDevice,
  iq: BinaryNode,
): BinaryNode {
  const xmlns = iq.attrs.xmlns ?? ''
  const extra = ctx.extraIq.get(xmlns)
  if (extra) return extra(conn, device, iq)
  switch (xmlns) {
    case 'encrypt':
      return handleEncryptIq(ctx.network, device, iq)
    case 'usync':
      return handleUsyncIq(ctx.network, iq)
    case 'passive':
      if (child(iq, 'active')) ctx.activate(conn, device)
      return iqResult(iq)
    case 'abt':
      // No A/B props: Baileys keeps its defaults (no privacy tokens on 1:1 messages).
      return iqResult(iq, [node('props', { protocol: 1, hash: 'sim' })])
    case 'privacy':
      return privacyIq(ctx.privacy(device), iq)
    case 'blocklist':
      return iqResult(iq, iq.attrs.type === 'get' ? [node('list', {})] : undefined)
    case 'w:profile:picture':
      return iqError(iq, 404, 'item-not-found')
    case 'md': {
      const remove = child(iq, 'remove-companion-device')
      if (remove) {
        const target = ctx.network.findDevice(remove.attrs.jid ?? '')
        // Logging out from the companion itself: it closes on its own, no stream error needed.
        if (target?.companion && target.user === device.user) ctx.removeCompanion(target, target !== device)
        return iqResult(iq)
      }
      return iqResult(iq)
    }
    default:
      return iqResult(iq)
  }
}

function privacyIq(settings: Map<string, string>, iq: BinaryNode): BinaryNode {
  const privacy = child(iq, 'privacy')
  if (iq.attrs.type === 'set') {
    for (const category of children(privacy, 'category')) {
      if (category.attrs.name && category.attrs.value) settings.set(category.attrs.name, category.attrs.value)
    }
    return iqResult(iq)
  }
  const categories = [...settings].map(([name, value]) => node('category', { name, value }))
  return iqResult(iq, [node('privacy', {}, categories)])
}

export const DEFAULT_PRIVACY: ReadonlyArray<[string, string]> = [
  ['last', 'all'],
  ['online', 'all'],
  ['profile', 'all'],
  ['status', 'all'],
  ['groupadd', 'all'],
  ['readreceipts', 'all'],
  ['calladd', 'all'],
  ['messages', 'all'],
]
