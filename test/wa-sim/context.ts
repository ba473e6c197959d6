import type { Groups } from './groups.js'
import type { MediaServer } from './media.js'
import type { Network, SimDevice } from './network.js'
import type { BinaryNode } from './nodes.js'

/** What simulated users need from the server they live on. */
export interface SimContext {
  readonly network: Network
  readonly groups: Groups
  readonly media: MediaServer
  /** Routes a stanza to a device: a simulated one handles it, a companion gets it now or at login. */
  deliver(to: SimDevice, stanza: BinaryNode, from: SimDevice): void
  log(line: string): void
  /** Failures inside simulated devices are kept here so tests can assert there were none. */
  recordError(where: string, err: unknown): void
}
