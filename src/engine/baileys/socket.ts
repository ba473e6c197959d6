import { makeWASocket, type UserFacingSocketConfig, type WASocket } from 'baileys'

/** The part of a Baileys socket the engine uses (what a test double has to provide). */
export type BaileysSocket = Pick<
  WASocket,
  | 'ev'
  | 'end'
  | 'logout'
  | 'user'
  | 'requestPairingCode'
  | 'waitForMessage'
  | 'sendMessage'
  | 'onWhatsApp'
  | 'readMessages'
  | 'updateMediaMessage'
  | 'groupFetchAllParticipating'
  | 'groupMetadata'
  | 'groupCreate'
  | 'groupUpdateSubject'
  | 'groupUpdateDescription'
  | 'groupParticipantsUpdate'
  | 'groupInviteCode'
  | 'groupRevokeInvite'
  | 'groupLeave'
> & {
  signalRepository?: { lidMapping?: { getPNForLID(lid: string): Promise<string | null> } }
}

export type MakeSocket = (config: UserFacingSocketConfig) => BaileysSocket

export const makeBaileysSocket: MakeSocket = (config) => makeWASocket(config)
