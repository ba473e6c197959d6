import { type BinaryNode, child, children, iqResult, node } from './nodes.js'

/**
 * Answers `w:sync:app:state`: the account keeps no app state (archived chats, mutes, labels...),
 * so every requested collection comes back at the version the client has, with nothing to apply.
 */
export function answerAppStateIq(iq: BinaryNode): BinaryNode {
  const collections = children(child(iq, 'sync'), 'collection').map((c) => {
    const patches = children(c, 'patch').length
    const version = Number(c.attrs.version ?? 0) + patches
    return node('collection', { name: c.attrs.name, version })
  })
  return iqResult(iq, [node('sync', {}, collections)])
}
