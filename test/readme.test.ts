import fs from 'node:fs'
import { describe, expect, it } from 'vitest'
import { SETTINGS } from '../src/config.js'

describe('README', () => {
  const readme = fs.readFileSync('README.md', 'utf8')

  it('documents every setting', () => {
    for (const setting of SETTINGS) expect(readme, setting.name).toContain(`| \`${setting.name}\` |`)
  })

  it('gives the two commands: run and test', () => {
    expect(readme).toContain('npm install && npm start')
    expect(readme).toContain('npm test')
  })
})
