#!/usr/bin/env node
// The test command: the whole suite on SQLite, then again on PostgreSQL when one is reachable.
// Ends with one line `tests: N passed, N failed` (and `, N skipped`) over both runs.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'

const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const extraArgs = process.argv.slice(2)
const vitest = path.resolve('node_modules/vitest/vitest.mjs')

async function postgresReachable() {
  if (process.env.TEST_POSTGRES === 'off') return 'TEST_POSTGRES=off'
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 })
  try {
    await client.connect()
    await client.query('SELECT 1')
    return null
  } catch (error) {
    return error instanceof Error ? error.message : String(error)
  } finally {
    await client.end().catch(() => {})
  }
}

function run(db) {
  const reportDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zapini-report-'))
  const report = path.join(reportDir, 'report.json')
  console.log(`\n=== Test suite on ${db === 'sqlite' ? 'SQLite' : 'PostgreSQL'} ===\n`)
  const result = spawnSync(
    process.execPath,
    [vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...extraArgs],
    { stdio: 'inherit', env: { ...process.env, TEST_DB: db } },
  )
  let counts = { passed: 0, failed: 0, skipped: 0 }
  let failures = []
  if (fs.existsSync(report)) {
    const json = JSON.parse(fs.readFileSync(report, 'utf8'))
    counts = {
      passed: json.numPassedTests ?? 0,
      failed: json.numFailedTests ?? 0,
      skipped: (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0),
    }
    failures = failedTests(json)
  }
  fs.rmSync(reportDir, { recursive: true, force: true })
  // A file that fails to load fails no single test; count it so the run cannot look green.
  if (result.status !== 0 && counts.failed === 0) counts.failed = 1
  console.log(`${db}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`)
  return { ...counts, failures: failures.map((name) => `${db}: ${name}`), ok: result.status === 0 }
}

// The failed tests by file and name, so that the last lines of a long log still say which failed.
function failedTests(json) {
  const root = process.cwd() + path.sep
  return (json.testResults ?? []).flatMap((file) =>
    (file.assertionResults ?? [])
      .filter((test) => test.status === 'failed')
      .map((test) => `${file.name.replace(root, '')} > ${test.fullName}`),
  )
}

const results = [run('sqlite')]
const pgProblem = await postgresReachable()
if (pgProblem) {
  console.log(
    `\nPostgreSQL half SKIPPED: no PostgreSQL at ${adminUrl.replace(/\/\/[^@]*@/, '//')} (${pgProblem}).`,
  )
  console.log('Set TEST_DATABASE_URL to a PostgreSQL server (a user that may create databases) to run it.')
} else {
  results.push(run('postgres'))
}

const total = results.reduce(
  (sum, r) => ({
    passed: sum.passed + r.passed,
    failed: sum.failed + r.failed,
    skipped: sum.skipped + r.skipped,
  }),
  { passed: 0, failed: 0, skipped: 0 },
)
for (const failure of results.flatMap((r) => r.failures)) console.log(`FAILED ${failure}`)
console.log(`\ntests: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`)
process.exit(results.every((r) => r.ok) && total.failed === 0 ? 0 : 1)
