import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

/**
 * The key for secrets at rest: APP_KEY when set; for the embedded set-up, a key generated once
 * into the data folder (readable by the owner only), so that `npm start` needs no configuration.
 */
export function resolveAppKey(appKey: string | null, dataDir: string): string {
  if (appKey) return appKey
  const file = path.join(dataDir, 'app.key')
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim()
  fs.mkdirSync(dataDir, { recursive: true })
  const key = randomBytes(32).toString('base64')
  try {
    fs.writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' })
    return key
  } catch (error) {
    // Another process wrote it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return fs.readFileSync(file, 'utf8').trim()
    throw error
  }
}
