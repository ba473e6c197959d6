import { EngineError } from '../engine/errors.js'
import type { Engine, ParticipantAction } from '../engine/types.js'
import type { AuthContext } from '../http/auth-context.js'
import { AppError, notFound, validationError } from '../http/errors.js'
import { engineFailure, type InstanceService } from '../instances/service.js'
import type { EntityRef } from '../lib/ids.js'
import {
  groupDetail,
  groupJidOf,
  groupSummary,
  inviteLink,
  participantJidsOf,
  participantResult,
} from './present.js'

export type GroupService = ReturnType<typeof createGroupService>

export interface GroupChange {
  subject?: string | undefined
  description?: string | undefined
}

const DONE: Record<ParticipantAction, [string, string]> = {
  add: ['added', 'Participants added'],
  remove: ['removed', 'Participants removed'],
  promote: ['promoted', 'Participants promoted to admin'],
  demote: ['demoted', 'Participants demoted from admin'],
}

/**
 * The WhatsApp groups of an instance, straight from its engine (groups are WhatsApp's data, not
 * ours: nothing is stored). `ref` names the instance; the caller must be allowed to see it.
 */
export function createGroupService(deps: { instances: Pick<InstanceService, 'find' | 'engineOf'> }) {
  async function engineFor(auth: AuthContext, ref: string | EntityRef): Promise<Engine> {
    return deps.instances.engineOf(auth, await deps.instances.find(auth, ref))
  }

  /**
   * Runs a group operation. A group the instance is not (or no longer) in is answered 404 like an
   * unknown one: WhatsApp says "forbidden" for both "not a member" and "not an admin", so the
   * instance's own group list tells the two apart.
   */
  async function run<T>(engine: Engine, jid: string | null, work: () => Promise<T>): Promise<T> {
    try {
      return await work()
    } catch (error) {
      if (error instanceof EngineError && error.code === 'GROUP_NOT_FOUND') throw notFound('Group')
      if (jid && error instanceof EngineError && error.code === 'FORBIDDEN') {
        const mine = await engine.listGroups().catch(() => null)
        if (mine && !mine.some((group) => group.jid === jid)) throw notFound('Group')
        throw new AppError(
          'FORBIDDEN',
          'Only a group admin may do this.',
          {},
          { extra: { engine_code: error.code } },
        )
      }
      throw engineFailure(error)
    }
  }

  async function target(auth: AuthContext, ref: string | EntityRef, jidParam: string) {
    const jid = groupJidOf(jidParam)
    return { jid, engine: await engineFor(auth, ref) }
  }

  return {
    /** The groups the instance belongs to, by subject; `page` slices them when given. */
    async list(auth: AuthContext, ref: string | EntityRef, page?: { limit: number; offset: number }) {
      const engine = await engineFor(auth, ref)
      const all = (await run(engine, null, () => engine.listGroups()))
        .map(groupSummary)
        .sort((a, b) => a.subject.localeCompare(b.subject) || a.jid.localeCompare(b.jid))
      return { items: page ? all.slice(page.offset, page.offset + page.limit) : all, total: all.length }
    },

    async create(auth: AuthContext, ref: string | EntityRef, subject: string, participants: string[]) {
      const name = subject.trim()
      if (!name) throw validationError('subject', 'The subject field is required.')
      const jids = participantJidsOf(participants)
      const engine = await engineFor(auth, ref)
      return groupDetail(await run(engine, null, () => engine.createGroup(name, jids)))
    },

    async metadata(auth: AuthContext, ref: string | EntityRef, jidParam: string) {
      const { jid, engine } = await target(auth, ref, jidParam)
      return groupDetail(await run(engine, jid, () => engine.groupMetadata(jid)))
    },

    /** Changes the subject and/or the description (an empty description clears it). */
    async update(auth: AuthContext, ref: string | EntityRef, jidParam: string, change: GroupChange) {
      if (change.subject === undefined && change.description === undefined) {
        throw validationError('subject', 'Give a subject or a description to change.')
      }
      if (change.subject !== undefined && !change.subject.trim()) {
        throw validationError('subject', 'The subject field must not be empty.')
      }
      const { jid, engine } = await target(auth, ref, jidParam)
      await run(engine, jid, async () => {
        if (change.subject !== undefined) await engine.updateGroupSubject(jid, change.subject.trim())
        if (change.description !== undefined) await engine.updateGroupDescription(jid, change.description)
      })
      return groupDetail(await run(engine, jid, () => engine.groupMetadata(jid)))
    },

    /** Adds, removes, promotes or demotes; WhatsApp answers for each participant on its own. */
    async participants(
      auth: AuthContext,
      ref: string | EntityRef,
      jidParam: string,
      participants: string[],
      action: ParticipantAction,
    ) {
      const jids = participantJidsOf(participants)
      const { jid, engine } = await target(auth, ref, jidParam)
      const results = (await run(engine, jid, () => engine.updateGroupParticipants(jid, jids, action))).map(
        participantResult,
      )
      const succeeded = results.filter((result) => result.success).length
      const [verb, message] = DONE[action]
      return {
        message:
          succeeded === results.length ? message : `${succeeded} of ${results.length} participants ${verb}`,
        data: { jid, action, participants: results, succeeded, failed: results.length - succeeded },
      }
    },

    async inviteCode(auth: AuthContext, ref: string | EntityRef, jidParam: string) {
      const { jid, engine } = await target(auth, ref, jidParam)
      const code = await run(engine, jid, () => engine.groupInviteCode(jid))
      return { code, invite_link: inviteLink(code) }
    },

    /** The current link stops working; the new one is answered in both documented spellings. */
    async revokeInvite(auth: AuthContext, ref: string | EntityRef, jidParam: string) {
      const { jid, engine } = await target(auth, ref, jidParam)
      const code = await run(engine, jid, () => engine.revokeGroupInvite(jid))
      const link = inviteLink(code)
      return { new_code: code, new_invite_link: link, code, invite_link: link }
    },

    async leave(auth: AuthContext, ref: string | EntityRef, jidParam: string) {
      const { jid, engine } = await target(auth, ref, jidParam)
      await run(engine, jid, () => engine.leaveGroup(jid))
      return { jid }
    },
  }
}
