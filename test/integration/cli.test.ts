import {expect} from 'chai'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {cli, ROOT} from '../support/cli.js'

const topics = (
  JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    oclif: {topics: Record<string, {description: string}>}
  }
).oclif.topics

describe('the cruddur binary', () => {
  it('--version names the CLI, its version and the platform', async () => {
    const {code, stdout} = await cli(['--version'])
    expect(code).to.equal(0)
    expect(stdout).to.match(/^cruddur\/\d+\.\d+\.\d+ \S+ node-v\d+/)
  })

  for (const [id, {description}] of Object.entries(topics)) {
    const words = id.split(':')
    it(`help for the topic \`${words.join(' ')}\` starts with its own description`, async () => {
      const {code, stdout} = await cli([...words, '--help'])
      expect(code).to.equal(0)
      expect(stdout.split('\n')[0]).to.equal(description)
    })
  }

  it('every command has a summary and examples in its help', async () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as {
      commands: Record<string, {examples?: unknown[]; summary?: string; description?: string}>
    }
    const lacking = Object.entries(manifest.commands).filter(
      ([, command]) => !(command.summary || command.description) || !command.examples?.length,
    )
    expect(lacking.map(([id]) => id)).to.deep.equal([])
  })
})
