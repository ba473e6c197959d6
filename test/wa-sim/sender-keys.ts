// Baileys' sender-key (group) cipher: the same Signal primitive every WhatsApp client runs.
import {
  GroupCipher,
  GroupSessionBuilder,
  SenderKeyDistributionMessage,
  SenderKeyName,
  SenderKeyRecord,
} from 'baileys/lib/Signal/Group/index.js'
import type { ProtocolAddress } from 'libsignal'
import { pad, unpad } from './cipher.js'

/** One simulated device's sender keys: its own per group, and those other members handed it. */
export class SenderKeys {
  private readonly records = new Map<string, SenderKeyRecord>()

  private readonly store = {
    loadSenderKey: async (name: SenderKeyName) => this.records.get(name.toString()) ?? new SenderKeyRecord(),
    storeSenderKey: async (name: SenderKeyName, record: SenderKeyRecord) => {
      this.records.set(name.toString(), record)
    },
  }

  /** Our distribution message for `group`, creating our sender key on first use. */
  async distribution(group: string, self: ProtocolAddress): Promise<Uint8Array> {
    const message = await new GroupSessionBuilder(this.store).create(new SenderKeyName(group, self))
    return message.serialize()
  }

  async encrypt(group: string, self: ProtocolAddress, plaintext: Uint8Array): Promise<Uint8Array> {
    return new GroupCipher(this.store, new SenderKeyName(group, self)).encrypt(pad(plaintext))
  }

  /** Stores the sender key another member distributed for `group`. */
  async process(group: string, sender: ProtocolAddress, distribution: Uint8Array): Promise<void> {
    const message = new SenderKeyDistributionMessage(null, null, null, null, distribution)
    await new GroupSessionBuilder(this.store).process(new SenderKeyName(group, sender), message)
  }

  async decrypt(group: string, sender: ProtocolAddress, ciphertext: Uint8Array): Promise<Buffer> {
    return unpad(await new GroupCipher(this.store, new SenderKeyName(group, sender)).decrypt(ciphertext))
  }
}
