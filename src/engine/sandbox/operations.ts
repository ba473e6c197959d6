import { EngineError } from '../errors.js'
import { EventedEngine } from '../evented.js'
import type {
  EditMessageInput,
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
} from '../types.js'
import * as groups from './group-ops.js'
import * as messaging from './messaging.js'
import type { SandboxSession } from './session.js'

/** The sandbox's sending and group operations, on top of its session. */
export abstract class SandboxOperations extends EventedEngine {
  protected abstract session(): SandboxSession

  generateMessageId(): string {
    return this.session().network.nextMessageId()
  }

  async sendText(input: SendTextInput): Promise<SendResult> {
    const session = this.session()
    const me = session.requireConnected()
    if (!input.text) throw new EngineError('INVALID_ARGUMENT', 'a text message cannot be empty')
    const target = messaging.resolveTarget(session, me, input.to)
    return messaging.sendOutgoing(session, me, target, {
      id: input.id,
      type: 'text',
      text: input.text,
      mentions: input.mentions,
      quotedId: input.quotedId,
    })
  }

  async sendMedia(input: SendMediaInput): Promise<SendResult> {
    const session = this.session()
    const me = session.requireConnected()
    if (!input.data.length) throw new EngineError('INVALID_ARGUMENT', 'the media is empty')
    const target = messaging.resolveTarget(session, me, input.to)
    const ptt = input.kind === 'audio' && input.ptt ? true : undefined
    return messaging.sendOutgoing(session, me, target, {
      id: input.id,
      type: input.kind,
      caption: input.kind === 'audio' ? undefined : input.caption,
      mentions: input.mentions,
      quotedId: input.quotedId,
      media: {
        mimetype: input.mimetype,
        fileName: input.fileName,
        size: input.data.length,
        seconds: input.seconds,
        ptt,
      },
      data: input.data,
    })
  }

  async sendReaction(input: SendReactionInput): Promise<SendResult> {
    const session = this.session()
    const me = session.requireConnected()
    const target = messaging.resolveTarget(session, me, input.chatJid)
    const at = session.network.clock.now()
    const show = (chatJid: string, fromMe: boolean) => ({
      messageId: input.messageId,
      chatJid,
      reactorJid: me.jid,
      fromMe,
      emoji: input.emoji,
      at,
    })
    return messaging.sendAction(
      session,
      me,
      target,
      { id: input.id, type: 'reaction', targetId: input.messageId, emoji: input.emoji },
      (chatJid) => session.receive('reaction', show(chatJid, true)),
      (chatJid) => (peer) => peer.receive('reaction', show(chatJid, false)),
    )
  }

  async editMessage(input: EditMessageInput): Promise<SendResult> {
    const session = this.session()
    const me = session.requireConnected()
    if (!input.text) throw new EngineError('INVALID_ARGUMENT', 'an edit cannot be empty')
    const target = messaging.resolveTarget(session, me, input.chatJid)
    const at = session.network.clock.now()
    const show = (chatJid: string, fromMe: boolean) => ({
      messageId: input.messageId,
      chatJid,
      text: input.text,
      fromMe,
      at,
    })
    return messaging.sendAction(
      session,
      me,
      target,
      { id: input.id, type: 'edit', targetId: input.messageId, text: input.text },
      (chatJid) => session.receive('edit', show(chatJid, true)),
      (chatJid) => (peer) => peer.receive('edit', show(chatJid, false)),
    )
  }

  async revokeMessage(input: RevokeMessageInput): Promise<SendResult> {
    const session = this.session()
    const me = session.requireConnected()
    const target = messaging.resolveTarget(session, me, input.chatJid)
    const at = session.network.clock.now()
    const show = (chatJid: string, fromMe: boolean) => ({ messageId: input.messageId, chatJid, fromMe, at })
    return messaging.sendAction(
      session,
      me,
      target,
      { id: input.id, type: 'revoke', targetId: input.messageId },
      (chatJid) => session.receive('revoke', show(chatJid, true)),
      (chatJid) => (peer) => peer.receive('revoke', show(chatJid, false)),
    )
  }

  async markRead(keys: MessageRef[]): Promise<void> {
    const session = this.session()
    messaging.markRead(session, session.requireConnected(), keys)
  }

  async checkNumbers(phones: string[]): Promise<NumberCheck[]> {
    this.session().requireConnected()
    return messaging.checkNumbers(phones)
  }

  async listGroups(): Promise<GroupInfo[]> {
    const session = this.session()
    const me = session.requireConnected()
    return session.network.groups.listFor(me.phone).map((group) => groups.groupInfo(session, group))
  }

  async groupMetadata(jid: string): Promise<GroupInfo> {
    const session = this.session()
    return groups.groupInfo(session, groups.findGroup(session, session.requireConnected(), jid))
  }

  async createGroup(subject: string, participants: string[]): Promise<GroupInfo> {
    const session = this.session()
    return groups.createGroup(session, session.requireConnected(), subject, participants)
  }

  async updateGroupSubject(jid: string, subject: string): Promise<void> {
    const session = this.session()
    groups.updateGroup(session, session.requireConnected(), jid, { subject })
  }

  async updateGroupDescription(jid: string, description: string): Promise<void> {
    const session = this.session()
    groups.updateGroup(session, session.requireConnected(), jid, { description })
  }

  async updateGroupParticipants(
    jid: string,
    participants: string[],
    action: ParticipantAction,
  ): Promise<ParticipantUpdateResult[]> {
    const session = this.session()
    return groups.updateParticipants(session, session.requireConnected(), jid, participants, action)
  }

  async groupInviteCode(jid: string): Promise<string> {
    const session = this.session()
    return groups.inviteCode(session, session.requireConnected(), jid, false)
  }

  async revokeGroupInvite(jid: string): Promise<string> {
    const session = this.session()
    return groups.inviteCode(session, session.requireConnected(), jid, true)
  }

  async leaveGroup(jid: string): Promise<void> {
    const session = this.session()
    groups.leaveGroup(session, session.requireConnected(), jid)
  }
}
