import type { ListenerErrorHandler } from './emitter.js'
import { EngineError } from './errors.js'
import { EventedEngine } from './evented.js'
import type { EngineEventName } from './events.js'
import type {
  DownloadableMessage,
  EditMessageInput,
  Engine,
  EngineKind,
  EngineState,
  GroupInfo,
  MessageRef,
  NumberCheck,
  ParticipantAction,
  ParticipantUpdateResult,
  RevokeMessageInput,
  SendMediaInput,
  SendReactionInput,
  SendResult,
  SendTextInput,
} from './types.js'

// Every event is passed on; the record's type makes a new event name a compile error until listed.
const FORWARDED: Record<EngineEventName, true> = {
  qr: true,
  connection: true,
  message: true,
  receipt: true,
  reaction: true,
  edit: true,
  revoke: true,
  contact: true,
  'lid-mapping': true,
  group: true,
}
const EVENT_NAMES = Object.keys(FORWARDED) as EngineEventName[]

/**
 * An engine whose implementation, and the library behind it, loads on first use: a process pays
 * for Baileys only once one of its instances connects. Until then it is `idle`, like a new engine.
 */
export class DeferredEngine extends EventedEngine implements Engine {
  private inner?: Engine
  private loading?: Promise<Engine>

  constructor(
    readonly kind: EngineKind,
    private readonly load: () => Promise<Engine>,
    onListenerError: ListenerErrorHandler,
  ) {
    super(onListenerError)
  }

  getState(): EngineState {
    return this.inner?.getState() ?? { status: 'idle' }
  }

  private engine(): Promise<Engine> {
    this.loading ??= this.load().then(
      (engine) => {
        for (const name of EVENT_NAMES) engine.on(name, (data) => this.emitter.emit(name, data as never))
        this.inner = engine
        return engine
      },
      (error: unknown) => {
        this.loading = undefined
        throw new EngineError('ENGINE_ERROR', `could not load the ${this.kind} engine`, {}, { cause: error })
      },
    )
    return this.loading
  }

  async connect(): Promise<void> {
    await (await this.engine()).connect()
  }

  async disconnect(): Promise<void> {
    // Never loaded means never connected: nothing to close.
    await this.inner?.disconnect()
  }

  async logout(): Promise<void> {
    await (await this.engine()).logout()
  }

  async requestPairingCode(phone: string): Promise<string> {
    return (await this.engine()).requestPairingCode(phone)
  }

  generateMessageId(): string {
    if (!this.inner) throw new EngineError('NOT_CONNECTED', 'the instance is not connected')
    return this.inner.generateMessageId()
  }

  async sendText(input: SendTextInput): Promise<SendResult> {
    return (await this.engine()).sendText(input)
  }

  async sendMedia(input: SendMediaInput): Promise<SendResult> {
    return (await this.engine()).sendMedia(input)
  }

  async sendReaction(input: SendReactionInput): Promise<SendResult> {
    return (await this.engine()).sendReaction(input)
  }

  async editMessage(input: EditMessageInput): Promise<SendResult> {
    return (await this.engine()).editMessage(input)
  }

  async revokeMessage(input: RevokeMessageInput): Promise<SendResult> {
    return (await this.engine()).revokeMessage(input)
  }

  async markRead(keys: MessageRef[]): Promise<void> {
    return (await this.engine()).markRead(keys)
  }

  async checkNumbers(phones: string[]): Promise<NumberCheck[]> {
    return (await this.engine()).checkNumbers(phones)
  }

  async listGroups(): Promise<GroupInfo[]> {
    return (await this.engine()).listGroups()
  }

  async groupMetadata(jid: string): Promise<GroupInfo> {
    return (await this.engine()).groupMetadata(jid)
  }

  async createGroup(subject: string, participants: string[]): Promise<GroupInfo> {
    return (await this.engine()).createGroup(subject, participants)
  }

  async updateGroupSubject(jid: string, subject: string): Promise<void> {
    return (await this.engine()).updateGroupSubject(jid, subject)
  }

  async updateGroupDescription(jid: string, description: string): Promise<void> {
    return (await this.engine()).updateGroupDescription(jid, description)
  }

  async updateGroupParticipants(
    jid: string,
    participants: string[],
    action: ParticipantAction,
  ): Promise<ParticipantUpdateResult[]> {
    return (await this.engine()).updateGroupParticipants(jid, participants, action)
  }

  async groupInviteCode(jid: string): Promise<string> {
    return (await this.engine()).groupInviteCode(jid)
  }

  async revokeGroupInvite(jid: string): Promise<string> {
    return (await this.engine()).revokeGroupInvite(jid)
  }

  async leaveGroup(jid: string): Promise<void> {
    return (await this.engine()).leaveGroup(jid)
  }

  async downloadMedia(message: DownloadableMessage): Promise<Buffer> {
    return (await this.engine()).downloadMedia(message)
  }
}
