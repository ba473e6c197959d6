// `npm run bench`: every benchmark, each printing its figures beside a baseline measured in the
// same run. `npm run bench -- auth messages` runs only the suites named.
import { benchAuth } from './auth.js'
import { benchInbox } from './inbox.js'
import { benchInstances } from './instances.js'
import { benchIngestionSuite, benchMessages, benchSendSuite } from './messages.js'
import { benchWebhooks } from './webhooks.js'

const suites: Record<string, () => Promise<void>> = {
  auth: benchAuth,
  baileys: async () => (await import('./baileys.js')).benchBaileys(),
  inbox: benchInbox,
  ingestion: benchIngestionSuite,
  instances: benchInstances,
  messages: benchMessages,
  send: benchSendSuite,
  webhooks: benchWebhooks,
}

const chosen = process.argv.slice(2).filter((name) => !name.startsWith('-'))
for (const name of chosen.length ? chosen : Object.keys(suites)) {
  const suite = suites[name]
  if (!suite) throw new Error(`Unknown bench suite "${name}"; known: ${Object.keys(suites).join(', ')}`)
  console.log(`\n===== ${name} =====`)
  await suite()
}
