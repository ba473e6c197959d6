import { createHmac, randomBytes, randomInt } from 'node:crypto'
import { proto } from 'baileys'
import { type KeyPair, sign, verify } from './certs.js'
import type { ClientConnection } from './connection.js'
import type { SimDevice, SimUser } from './network.js'
import { type BinaryNode, bytes, child, iqError, node, readUint, SERVER_JID, unixNow } from './nodes.js'
import { Recorder } from './record.js'

// Signature prefixes of the ADV (account-device verification) scheme.
const ACCOUNT_SIG_PREFIX = Buffer.from([6, 0])
const DEVICE_SIG_PREFIX = Buffer.from([6, 1])
const REFS_PER_REGISTRATION = 6

/** The account side of a pairing: the phone's user and its account (identity) key. */
export interface PairingAccount {
  readonly user: SimUser
  readonly account: KeyPair
  takeKeyIndex(): number
}

export interface LinkCodeFinish {
  wrappedKeyBundle: Buffer
  companionIdentity: Buffer
  ref: string
}

/** A client that connected without credentials and waits to be linked. */
export interface Registration {
  readonly conn: ClientConnection
  readonly refs: string[]
  readonly pairingData: proto.ClientPayload.IDevicePairingRegistrationData
  linkCode?: { phone: string; wrappedEphemeral: Buffer; ref: string }
  onLinkCodeFinish?: (finish: LinkCodeFinish) => void
}

/** Server side of linking companions: QR refs, pairing codes, pair-success and the 515 restart. */
export class Pairing {
  private readonly registrations = new Map<ClientConnection, Registration>()
  private readonly linkCodeRequests = new Recorder<Registration>()

  constructor(private readonly onPaired: (device: SimDevice) => void) {}

  /** Answers a registration payload with a `pair-device` iq; the client turns each ref into a QR. */
  start(conn: ClientConnection, payload: proto.ClientPayload): void {
    const pairingData = payload.devicePairingData
    if (!pairingData) throw new Error('registration without device pairing data')
    const refs = Array.from(
      { length: REFS_PER_REGISTRATION },
      () => `2@${randomBytes(30).toString('base64')}`,
    )
    this.registrations.set(conn, { conn, refs, pairingData })
    const iq = node('iq', { from: SERVER_JID, type: 'set', xmlns: 'md', id: conn.newId() }, [
      node(
        'pair-device',
        {},
        refs.map((ref) => node('ref', {}, Buffer.from(ref))),
      ),
    ])
    conn.query(iq).catch(() => undefined)
  }

  forget(conn: ClientConnection): void {
    this.registrations.delete(conn)
  }

  byRef(ref: string): Registration | undefined {
    return [...this.registrations.values()].find((r) => !r.conn.closed && r.refs.includes(ref))
  }

  /**
   * The open registration that asked for a pairing code for `phone`. Clients send that request
   * without waiting for an answer, so it may still be on its way: wait for it a little.
   */
  waitForLinkCodeRequest(phone: string, timeoutMs = 5_000): Promise<Registration> {
    const match = (r: Registration) => !r.conn.closed && r.linkCode?.phone === phone
    const open = [...this.registrations.values()].reverse().find(match)
    if (open) return Promise.resolve(open)
    return this.linkCodeRequests.next(match, timeoutMs, `a pairing-code request for ${phone}`)
  }

  /** Handles `link_code_companion_reg` iqs (the pairing-code flow). */
  onLinkCodeIq(conn: ClientConnection, iq: BinaryNode, reg: BinaryNode): BinaryNode {
    const registration = this.registrations.get(conn)
    if (!registration) return iqError(iq, 400, 'bad-request')
    if (reg.attrs.stage === 'companion_hello') {
      const wrapped = bytes(child(reg, 'link_code_pairing_wrapped_companion_ephemeral_pub'))
      const phone = (reg.attrs.jid ?? '').split('@')[0]?.split(':')[0] ?? ''
      if (!wrapped || wrapped.length < 80) return iqError(iq, 400, 'bad-request')
      const ref = randomBytes(16).toString('base64')
      registration.linkCode = { phone, wrappedEphemeral: wrapped, ref }
      this.linkCodeRequests.push(registration)
      return node('iq', { id: iq.attrs.id, type: 'result', from: SERVER_JID }, [
        node('link_code_companion_reg', {}, [node('link_code_pairing_ref', {}, Buffer.from(ref))]),
      ])
    }
    if (reg.attrs.stage === 'companion_finish') {
      const wrappedKeyBundle = bytes(child(reg, 'link_code_pairing_wrapped_key_bundle'))
      const companionIdentity = bytes(child(reg, 'companion_identity_public'))
      const ref = bytes(child(reg, 'link_code_pairing_ref'))?.toString('utf8')
      if (!wrappedKeyBundle || !companionIdentity || !ref) return iqError(iq, 400, 'bad-request')
      registration.onLinkCodeFinish?.({ wrappedKeyBundle, companionIdentity, ref })
      return node('iq', { id: iq.attrs.id, type: 'result', from: SERVER_JID })
    }
    return iqError(iq, 400, 'bad-request')
  }

  /**
   * Sends `pair-success` (the account's signature over the companion identity, HMAC'd with the adv
   * secret both sides know), checks the companion's counter-signature, records the new device and
   * asks the client to restart with a 515 stream error.
   */
  async complete(registration: Registration, phone: PairingAccount, advSecret: Buffer): Promise<SimDevice> {
    const { conn, pairingData } = registration
    const identityKey = Buffer.from(pairingData.eIdent ?? [])
    const user = phone.user
    const deviceId = Math.max(0, ...user.devices.keys()) + 1
    const keyIndex = phone.takeKeyIndex()
    const details = proto.ADVDeviceIdentity.encode({
      rawId: randomInt(1, 2 ** 31),
      timestamp: unixNow(),
      keyIndex,
    }).finish()
    const accountSignature = sign(
      phone.account.private,
      Buffer.concat([ACCOUNT_SIG_PREFIX, details, identityKey]),
    )
    const signed = proto.ADVSignedDeviceIdentity.encode({
      details,
      accountSignatureKey: phone.account.public,
      accountSignature,
    }).finish()
    const hmac = createHmac('sha256', advSecret).update(signed).digest()
    const container = proto.ADVSignedDeviceIdentityHMAC.encode({ details: signed, hmac }).finish()
    const jid = `${user.pn}:${deviceId}@s.whatsapp.net`
    const lid = `${user.lid}:${deviceId}@lid`
    const reply = await conn.query(
      node('iq', { from: SERVER_JID, type: 'set', xmlns: 'md', t: unixNow() }, [
        node('pair-success', {}, [
          node('device-identity', {}, container),
          node('platform', { name: 'android' }),
          node('device', { jid, lid }),
        ]),
      ]),
    )
    const signedBack = bytes(child(child(reply, 'pair-device-sign'), 'device-identity'))
    if (reply.attrs.type !== 'result' || !signedBack) throw new Error('client rejected pair-success')
    const account = proto.ADVSignedDeviceIdentity.decode(signedBack)
    const deviceMessage = Buffer.concat([DEVICE_SIG_PREFIX, details, identityKey, phone.account.public])
    if (!account.deviceSignature || !verify(identityKey, deviceMessage, account.deviceSignature)) {
      throw new Error('companion device signature does not verify')
    }
    const device = user.device(deviceId)
    device.companion = {
      noiseKey: conn.clientStatic ?? Buffer.alloc(0),
      identityKey,
      keyIndex,
      platform: proto.DeviceProps.decode(pairingData.deviceProps ?? new Uint8Array()).os ?? 'unknown',
    }
    device.keys = {
      registrationId: readUint(pairingData.eRegid ?? undefined) ?? 0,
      identity: identityKey,
      signedPreKey: {
        id: readUint(pairingData.eSkeyId ?? undefined) ?? 0,
        public: Buffer.from(pairingData.eSkeyVal ?? []),
        signature: Buffer.from(pairingData.eSkeySig ?? []),
      },
      preKeys: new Map(),
    }
    this.registrations.delete(conn)
    this.onPaired(device)
    conn.streamError({ code: '515' })
    return device
  }
}
