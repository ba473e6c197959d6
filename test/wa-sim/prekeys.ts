import { createHash } from 'node:crypto'
import type { Network, SimDevice } from './network.js'
import {
  type BinaryNode,
  bytes,
  child,
  children,
  iqError,
  iqResult,
  node,
  readUint,
  uintBytes,
} from './nodes.js'

const KEY_BUNDLE_TYPE = Buffer.from([5])

/** Answers `xmlns="encrypt"` iqs: prekey count, upload, digest, signed prekey rotation, bundle fetch. */
export function handleEncryptIq(network: Network, device: SimDevice, iq: BinaryNode): BinaryNode {
  if (child(iq, 'count')) {
    return iqResult(iq, [node('count', { value: device.keys?.preKeys.size ?? 0 })])
  }
  if (child(iq, 'registration')) return upload(device, iq)
  if (child(iq, 'digest')) return digest(device, iq)
  const rotate = child(iq, 'rotate')
  if (rotate) {
    const skey = child(rotate, 'skey')
    if (!device.keys || !skey) return iqError(iq, 406, 'not-acceptable')
    device.keys.signedPreKey = readSignedPreKey(skey)
    return iqResult(iq)
  }
  const key = child(iq, 'key')
  if (key) return fetchBundles(network, iq, key)
  return iqError(iq, 501, 'feature-not-implemented')
}

function readSignedPreKey(skey: BinaryNode) {
  return {
    id: readUint(bytes(child(skey, 'id'))) ?? 0,
    public: bytes(child(skey, 'value')) ?? Buffer.alloc(0),
    signature: bytes(child(skey, 'signature')) ?? Buffer.alloc(0),
  }
}

function upload(device: SimDevice, iq: BinaryNode): BinaryNode {
  const registrationId = readUint(bytes(child(iq, 'registration')))
  const identity = bytes(child(iq, 'identity'))
  const skey = child(iq, 'skey')
  if (registrationId === undefined || !identity || identity.length !== 32 || !skey) {
    return iqError(iq, 406, 'not-acceptable')
  }
  const preKeys = new Map(device.keys?.preKeys)
  for (const key of children(child(iq, 'list'), 'key')) {
    const id = readUint(bytes(child(key, 'id')))
    const value = bytes(child(key, 'value'))
    if (id !== undefined && value?.length === 32) preKeys.set(id, value)
  }
  device.keys = { registrationId, identity, signedPreKey: readSignedPreKey(skey), preKeys }
  return iqResult(iq)
}

/** What the server holds for this device, with a hash the client could compare against its own. */
function digest(device: SimDevice, iq: BinaryNode): BinaryNode {
  const keys = device.keys
  if (!keys) return iqError(iq, 404, 'item-not-found')
  const ids = [...keys.preKeys.keys()]
  const hash = createHash('sha1')
  hash.update(keys.identity).update(keys.signedPreKey.public).update(keys.signedPreKey.signature)
  for (const pub of keys.preKeys.values()) hash.update(pub)
  return iqResult(iq, [
    node('digest', {}, [
      node('registration', {}, uintBytes(keys.registrationId, 4)),
      node('type', {}, KEY_BUNDLE_TYPE),
      node('identity', {}, keys.identity),
      node('skey', {}, [node('id', {}, uintBytes(keys.signedPreKey.id, 3))]),
      node('list', {}, Buffer.concat(ids.map((id) => uintBytes(id, 3)))),
      node('hash', {}, hash.digest()),
    ]),
  ])
}

/** Hands out one bundle per requested device; unknown devices are left out, as errors abort the client. */
function fetchBundles(network: Network, iq: BinaryNode, key: BinaryNode): BinaryNode {
  const users: BinaryNode[] = []
  for (const request of children(key, 'user')) {
    const jid = request.attrs.jid ?? ''
    const bundle = network.findDevice(jid)?.takeBundle()
    if (!bundle) continue
    const content = [
      node('registration', {}, uintBytes(bundle.registrationId, 4)),
      node('type', {}, KEY_BUNDLE_TYPE),
      node('identity', {}, bundle.identity),
      node('skey', {}, [
        node('id', {}, uintBytes(bundle.signedPreKey.id, 3)),
        node('value', {}, bundle.signedPreKey.public),
        node('signature', {}, bundle.signedPreKey.signature),
      ]),
    ]
    if (bundle.preKey) {
      content.push(
        node('key', {}, [
          node('id', {}, uintBytes(bundle.preKey.id, 3)),
          node('value', {}, bundle.preKey.public),
        ]),
      )
    }
    users.push(node('user', { jid }, content))
  }
  return iqResult(iq, [node('list', {}, users)])
}
