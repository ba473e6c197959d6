import { parseArgs } from 'node:util'
import { createCli } from './cli.js'

const [command, ...rest] = process.argv.slice(2)
const { values } = parseArgs({
  args: rest,
  options: {
    email: { type: 'string' },
    password: { type: 'string' },
    name: { type: 'string' },
    tenant: { type: 'string' },
    role: { type: 'string' },
    instance: { type: 'string' },
  },
  strict: true,
})

const cli = createCli(process.env, process.stdout, process.stderr)
cli
  .run(command ?? 'help', values)
  .then((code) => {
    if (code !== null) process.exit(code)
  })
  .catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`)
    process.exit(1)
  })
