'use strict'

// Options of new LookerClient() and LookerClient.fromEnv(): unknown keys and wrong types are
// refused with typed errors; a named section of ./looker.ini is used; env names are checked.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { LookerClient, LookerCIError } = require('..')
const { FakeLooker } = require('../lib/testing')

function invalidArgument(argument, message) {
  return (e) => {
    assert.ok(e instanceof LookerCIError, `${e}`)
    assert.equal(e.code, 'LOOKER_CI_INVALID_ARGUMENT')
    assert.equal(e.argument, argument)
    if (message) assert.match(e.message, message)
    return true
  }
}

test('an unknown option is refused with the right name suggested', () => {
  assert.throws(
    () => new LookerClient({ base_url: 'https://example.cloud.looker.com' }),
    invalidArgument('base_url', /did you mean `baseUrl`\?/),
  )
  assert.throws(
    () => new LookerClient({ baseURL: 'https://example.cloud.looker.com' }),
    invalidArgument('baseURL', /did you mean `baseUrl`\?/),
  )
  assert.throws(() => new LookerClient({ readenv: true }), invalidArgument('readenv', /`readEnv`/))
  assert.throws(() => new LookerClient({ nothingLikeIt: 1 }), invalidArgument('nothingLikeIt', /options: baseUrl/))
  assert.throws(() => new LookerClient('https://x'), invalidArgument('options'))
})

test('fromEnv refuses unknown options too', async () => {
  await assert.rejects(LookerClient.fromEnv({ config_file: 'x.ini' }), invalidArgument('config_file', /`configFile`/))
  await assert.rejects(LookerClient.fromEnv({ baseUrl: 'https://x' }), invalidArgument('baseUrl', /fromEnv/))
})

test('a value of the wrong type is a typed error naming the option, never a raw napi one', async () => {
  const base = { baseUrl: 'https://example.cloud.looker.com' }
  assert.throws(() => new LookerClient({ ...base, timeout: '30' }), invalidArgument('timeout', /number/))
  assert.throws(() => new LookerClient({ ...base, verifySsl: 'false' }), invalidArgument('verifySsl', /boolean/))
  assert.throws(() => new LookerClient({ baseUrl: 42 }), invalidArgument('baseUrl', /string/))
  assert.throws(() => new LookerClient({ ...base, credentials: 'nope' }), invalidArgument('credentials', /function/))
  assert.throws(() => new LookerClient({ ...base, env: { AWS_REGION: 1 } }), invalidArgument('env', /AWS_REGION/))
  await assert.rejects(LookerClient.fromEnv({ section: 3 }), invalidArgument('section', /string/))
  // A secret of the wrong type is not echoed.
  assert.throws(
    () => new LookerClient({ ...base, clientId: 'id', clientSecret: 12345678 }),
    (e) => invalidArgument('clientSecret')(e) && !e.message.includes('12345678'),
  )
  // timeout 0: the message gives the exact range.
  assert.throws(() => new LookerClient({ ...base, timeout: 0 }), (e) => {
    assert.equal(e.code, 'LOOKER_CI_CONFIG')
    assert.match(e.message, /greater than 0 and at most 86400/)
    return true
  })
})

test('env names in our namespaces must be known; others are allowed', async () => {
  const fake = await FakeLooker.start()
  try {
    await assert.rejects(
      LookerClient.fromEnv({ env: { ...fake.env(), LOOKERSDK_BASEURL: fake.baseUrl } }),
      invalidArgument('env', /did you mean LOOKERSDK_BASE_URL\?/),
    )
    assert.throws(
      () => new LookerClient({ readEnv: true, env: { LOOKER_CI_AWS_SECRETID: 'x' } }),
      invalidArgument('env', /LOOKER_CI_AWS_SECRET_ID/),
    )
    const client = await LookerClient.fromEnv({ env: { ...fake.env(), AWS_REGION: 'eu-west-1', CI_JOB_ID: '7' } })
    assert.equal((await client.me()).id, '1')
    await client.close()
  } finally {
    fake.stop()
  }
})

test('a named section of ./looker.ini is used, and a missing one names the file and its sections', async () => {
  const fake = await FakeLooker.start()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'looker-ci-'))
  fs.writeFileSync(
    path.join(dir, 'looker.ini'),
    `[First]\nbase_url=http://127.0.0.1:9\n[CI]\nbase_url=${fake.baseUrl}\n` +
      `client_id=${fake.clientId}\nclient_secret=${fake.clientSecret}\n`,
  )
  const cwd = process.cwd()
  const saved = { ...process.env }
  try {
    process.chdir(dir)
    for (const key of Object.keys(process.env)) if (key.startsWith('LOOKERSDK_')) delete process.env[key]
    const fromEnv = await LookerClient.fromEnv({ section: 'CI' })
    assert.equal(fromEnv.baseUrl, fake.baseUrl)
    assert.equal((await fromEnv.me()).id, '1')
    await fromEnv.close()
    const explicit = new LookerClient({ readEnv: true, section: 'CI' })
    assert.equal(explicit.baseUrl, fake.baseUrl)
    const missing = (e) => {
      assert.equal(e.code, 'LOOKER_CI_CONFIG')
      assert.equal(e.setting, 'ini_section')
      assert.match(e.message, /looker\.ini/)
      assert.match(e.message, /\[First\], \[CI\]/)
      return true
    }
    await assert.rejects(LookerClient.fromEnv({ section: 'Nope' }), missing)
    assert.throws(() => new LookerClient({ readEnv: true, section: 'Nope' }), missing)
  } finally {
    process.chdir(cwd)
    Object.assign(process.env, saved)
    fake.stop()
  }
})
