// Public surface of the WhatsApp web protocol simulator; see README.md in this folder.
export { MemoryAuth } from './auth-state.js'
export {
  type ClientConfig,
  type CloseInfo,
  connectClient,
  linkWithQr,
  TestClient,
  trustSimulator,
} from './client.js'
export { Contact, type MessageRef } from './contact.js'
export type { HistoryMessage } from './history.js'
export {
  type Addressing,
  type ReceivedMessage,
  type ReceivedReceipt,
  type SendOptions,
  textOf,
} from './party.js'
export { Phone, parseQr } from './phone.js'
export { type SimulatorOptions, startSimulator, type UserOptions, WaSimulator } from './server.js'
export type { IqRecord, LoginRecord } from './sessions.js'
