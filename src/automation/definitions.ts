import type { Kysely } from 'kysely'
import { bool, parseJson, toJson } from '../db/dialect.js'
import type { DB } from '../db/schema.js'
import type { AuthContext } from '../http/auth-context.js'
import { notFound, validationError } from '../http/errors.js'
import type { InstanceService } from '../instances/service.js'
import type { Clock } from '../lib/clock.js'
import { newUuid, parseEntityRef } from '../lib/ids.js'
import type { Cipher } from '../lib/secrets.js'
import type { FlowRow, IntegrationRow } from './repository.js'
import * as repo from './repository.js'
import type { StepSpec, TriggerSpec } from './schemas.js'

/** Config fields that are secrets: encrypted at rest, masked when read. */
const SECRET_FIELDS = ['secret', 'api_key'] as const

export type AutomationDefinitions = ReturnType<typeof createAutomationDefinitions>

export function createAutomationDefinitions(deps: {
  db: Kysely<DB>
  clock: Clock
  cipher: Cipher
  instances: Pick<InstanceService, 'find'>
}) {
  const { db, clock, cipher } = deps
  const now = () => clock.now().toISOString()

  function checkFlow(trigger: TriggerSpec | undefined, steps: StepSpec[] | undefined): void {
    if (trigger?.type === 'regex') {
      try {
        new RegExp(trigger.pattern, trigger.flags)
      } catch {
        throw validationError('trigger.pattern', 'The pattern is not a valid regular expression.')
      }
    }
    steps?.forEach((step, index) => {
      if (step.type !== 'wait_reply') return
      const targets = [
        ...step.branches.map((b) => b.goto),
        ...(step.default_goto === undefined ? [] : [step.default_goto]),
      ]
      if (targets.some((t) => t >= steps.length)) {
        throw validationError(
          `steps.${index}`,
          `A branch goes to a step that does not exist (the flow has ${steps.length}).`,
        )
      }
      for (const branch of step.branches) {
        if (branch.match !== 'regex') continue
        try {
          new RegExp(branch.value, 'i')
        } catch {
          throw validationError(
            `steps.${index}.branches`,
            'A branch pattern is not a valid regular expression.',
          )
        }
      }
    })
  }

  function sealConfig(config: Record<string, unknown>, previous: Record<string, unknown> = {}): string {
    const sealed: Record<string, unknown> = { ...config }
    for (const field of SECRET_FIELDS) {
      if (typeof config[field] === 'string') sealed[field] = cipher.encrypt(config[field] as string)
      else if (previous[field] !== undefined) sealed[field] = previous[field]
    }
    return toJson(sealed)
  }

  function maskedConfig(row: IntegrationRow): Record<string, unknown> {
    const config = parseJson<Record<string, unknown>>(row.config, {})
    for (const field of SECRET_FIELDS) {
      if (typeof config[field] !== 'string') continue
      const plain = cipher.decrypt(config[field] as string)
      config[field] = plain.length > 8 ? `${plain.slice(0, 3)}…${plain.slice(-4)}` : '••••'
    }
    return config
  }

  function checkIntegration(type: string, config: Record<string, unknown>): void {
    if (type === 'http_bot' && typeof config['url'] !== 'string') {
      throw validationError('config.url', 'An http_bot integration needs config.url.')
    }
    if (type === 'http_bot' && !/^https?:\/\//.test(String(config['url']))) {
      throw validationError('config.url', 'config.url must be an http(s) URL.')
    }
  }

  const presentFlow = (row: FlowRow) => ({
    id: row.uuid,
    uuid: row.uuid,
    numeric_id: row.id,
    instance_id: row.instance_id,
    name: row.name,
    trigger: parseJson<TriggerSpec>(row.trigger, { type: 'any' }),
    steps: parseJson<StepSpec[]>(row.steps, []),
    is_active: bool(row.is_active),
    priority: row.priority,
    created_at: row.created_at,
    updated_at: row.updated_at,
  })

  const presentIntegration = (row: IntegrationRow) => ({
    id: row.uuid,
    uuid: row.uuid,
    numeric_id: row.id,
    instance_id: row.instance_id,
    name: row.name,
    type: row.type,
    config: maskedConfig(row),
    is_active: bool(row.is_active),
    priority: row.priority,
    created_at: row.created_at,
    updated_at: row.updated_at,
  })

  async function findFlow(auth: AuthContext, ref: string): Promise<FlowRow> {
    const parsed = parseEntityRef(ref)
    const row = parsed ? await repo.findFlow(db, auth.tenantId, parsed) : undefined
    if (!row || (auth.instanceId !== null && auth.instanceId !== row.instance_id)) throw notFound('Flow')
    return row
  }

  async function findIntegration(auth: AuthContext, ref: string): Promise<IntegrationRow> {
    const parsed = parseEntityRef(ref)
    const row = parsed ? await repo.findIntegration(db, auth.tenantId, parsed) : undefined
    if (!row || (auth.instanceId !== null && auth.instanceId !== row.instance_id))
      throw notFound('Integration')
    return row
  }

  async function instanceFilter(auth: AuthContext, ref: string | undefined): Promise<number | null> {
    return ref ? (await deps.instances.find(auth, ref)).id : auth.instanceId
  }

  return {
    presentFlow,
    presentIntegration,

    async listFlows(auth: AuthContext, instance?: string) {
      return (await repo.listFlows(db, auth.tenantId, await instanceFilter(auth, instance))).map(presentFlow)
    },

    async getFlow(auth: AuthContext, ref: string) {
      return presentFlow(await findFlow(auth, ref))
    },

    async createFlow(
      auth: AuthContext,
      input: {
        instance_id: string
        name: string
        trigger: TriggerSpec
        steps: StepSpec[]
        is_active?: boolean | undefined
        priority?: number | undefined
      },
    ) {
      const instance = await deps.instances.find(auth, input.instance_id)
      checkFlow(input.trigger, input.steps)
      const at = now()
      const id = await repo.insertFlow(db, {
        uuid: newUuid(),
        tenant_id: auth.tenantId,
        instance_id: instance.id,
        name: input.name.trim(),
        trigger: toJson(input.trigger),
        steps: toJson(input.steps),
        is_active: input.is_active ?? true,
        priority: input.priority ?? 100,
        created_at: at,
        updated_at: at,
      })
      return presentFlow((await repo.findFlow(db, auth.tenantId, { id }))!)
    },

    async updateFlow(
      auth: AuthContext,
      ref: string,
      input: {
        name?: string | undefined
        trigger?: TriggerSpec | undefined
        steps?: StepSpec[] | undefined
        is_active?: boolean | undefined
        priority?: number | undefined
      },
    ) {
      const row = await findFlow(auth, ref)
      checkFlow(input.trigger, input.steps ?? parseJson<StepSpec[]>(row.steps, []))
      await repo.updateFlow(db, row.id, {
        ...(input.name !== undefined ? { name: input.name.trim() } : {}),
        ...(input.trigger !== undefined ? { trigger: toJson(input.trigger) } : {}),
        ...(input.steps !== undefined ? { steps: toJson(input.steps) } : {}),
        ...(input.is_active !== undefined ? { is_active: input.is_active } : {}),
        ...(input.priority !== undefined ? { priority: input.priority } : {}),
        updated_at: now(),
      })
      return presentFlow((await repo.findFlow(db, auth.tenantId, { id: row.id }))!)
    },

    async deleteFlow(auth: AuthContext, ref: string): Promise<void> {
      await repo.deleteFlow(db, (await findFlow(auth, ref)).id)
    },

    async listIntegrations(auth: AuthContext, instance?: string) {
      return (await repo.listIntegrations(db, auth.tenantId, await instanceFilter(auth, instance))).map(
        presentIntegration,
      )
    },

    async getIntegration(auth: AuthContext, ref: string) {
      return presentIntegration(await findIntegration(auth, ref))
    },

    async createIntegration(
      auth: AuthContext,
      input: {
        instance_id: string
        name?: string | undefined
        type: 'http_bot' | 'openai'
        config: Record<string, unknown>
        is_active?: boolean | undefined
        priority?: number | undefined
      },
    ) {
      const instance = await deps.instances.find(auth, input.instance_id)
      checkIntegration(input.type, input.config)
      const at = now()
      const id = await repo.insertIntegration(db, {
        uuid: newUuid(),
        tenant_id: auth.tenantId,
        instance_id: instance.id,
        name: input.name?.trim() || (input.type === 'openai' ? 'AI agent' : 'HTTP bot'),
        type: input.type,
        config: sealConfig(input.config),
        is_active: input.is_active ?? true,
        priority: input.priority ?? 100,
        created_at: at,
        updated_at: at,
      })
      return presentIntegration((await repo.findIntegration(db, auth.tenantId, { id }))!)
    },

    async updateIntegration(
      auth: AuthContext,
      ref: string,
      input: {
        name?: string | undefined
        config?: Record<string, unknown> | undefined
        is_active?: boolean | undefined
        priority?: number | undefined
      },
    ) {
      const row = await findIntegration(auth, ref)
      const previous = parseJson<Record<string, unknown>>(row.config, {})
      if (input.config) checkIntegration(row.type, { ...previous, ...input.config })
      await repo.updateIntegration(db, row.id, {
        ...(input.name !== undefined ? { name: input.name.trim() } : {}),
        // A secret left out of an update is kept, so a client can change settings without re-sending it.
        ...(input.config !== undefined ? { config: sealConfig(input.config, previous) } : {}),
        ...(input.is_active !== undefined ? { is_active: input.is_active } : {}),
        ...(input.priority !== undefined ? { priority: input.priority } : {}),
        updated_at: now(),
      })
      return presentIntegration((await repo.findIntegration(db, auth.tenantId, { id: row.id }))!)
    },

    async deleteIntegration(auth: AuthContext, ref: string): Promise<void> {
      await repo.deleteIntegration(db, (await findIntegration(auth, ref)).id)
    },

    /** An integration's config with its secrets in clear, for the runtime only. */
    openConfig(row: IntegrationRow): Record<string, unknown> {
      const config = parseJson<Record<string, unknown>>(row.config, {})
      for (const field of SECRET_FIELDS) {
        if (typeof config[field] === 'string') config[field] = cipher.decrypt(config[field] as string)
      }
      return config
    },
  }
}
