export type { SandboxInboundInput, SandboxMediaType } from './controls.js'
export { SandboxEngine, type SandboxEngineOptions } from './engine.js'
export {
  type Acceptance,
  type IndexedMessage,
  isOnWhatsApp,
  SandboxNetwork,
  type SandboxNetworkOptions,
} from './network.js'
export type {
  AcceptedSend,
  ReachedFilter,
  ReachedRecord,
  ReachedType,
  SandboxRecordStore,
} from './record.js'
export type { SandboxAccount, SandboxSettings } from './session.js'
