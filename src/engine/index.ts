// The engine layer's shared surface. Engines live in `./sandbox/index.js` and `./baileys/index.js`
// (imported separately, so that code needing only the types does not load Baileys).

export { ManualClock, systemTimerClock, type TimerClock, type TimerHandle } from './clock.js'
export {
  EngineError,
  type EngineErrorCode,
  isEngineError,
  type PermanentEngineErrorCode,
  type TransientEngineErrorCode,
} from './errors.js'
export {
  bareJid,
  isGroupJid,
  isLidJid,
  isPhoneJid,
  normalizePhone,
  phoneJid,
  phoneOfJid,
  toChatJid,
} from './jid.js'
export { MemoryAuthStateStore } from './memory-auth-store.js'
export type * from './types.js'
