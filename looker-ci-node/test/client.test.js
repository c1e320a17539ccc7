'use strict'

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { LookerClient, LookerCIError } = require('..')
const { FakeLooker } = require('../lib/testing')

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

async function withFake(fn) {
  const fake = await FakeLooker.start()
  try {
    await fn(fake)
  } finally {
    fake.stop()
  }
}

test('request() argument rules are the core\'s', async () => {
  const fake = await FakeLooker.start()
  const client = new LookerClient(fake.clientOptions())
  try {
    await assert.rejects(client.request('GET', '/user', { query: [['fields', 'id']] }), (error) => {
      assert.ok(error instanceof LookerCIError)
      assert.equal(error.code, 'LOOKER_CI_INVALID_ARGUMENT')
      assert.equal(error.argument, 'query')
      assert.match(error.message, /must be a mapping \(an object\) of parameter names to values/)
      return true
    })
  } finally {
    await client.close()
    fake.stop()
  }
})

test('an empty reply body is null', async () => {
  // No cached LookML validation yet: Looker (and FakeLooker) answer 204 with no body.
  const fake = await FakeLooker.start()
  const client = new LookerClient(fake.clientOptions())
  try {
    assert.equal(await client.request('GET', '/projects/thelook/validate'), null)
    assert.equal(await client.projectValidationResults({ project_id: 'thelook' }), null)
  } finally {
    await client.close()
    fake.stop()
  }
})

test('1000 concurrent callers across three expiries log in once per expiry', () =>
  withFake(async (fake) => {
    fake.setTokenLifetime(3)
    const client = new LookerClient(fake.clientOptions())
    for (let expiry = 0; expiry <= 3; expiry++) {
      if (expiry > 0) await sleep(3200)
      const results = await Promise.all(Array.from({ length: 1000 }, () => client.me()))
      assert.ok(results.every((me) => me.id === '1'))
      assert.equal(fake.counters().logins, 1 + expiry)
    }
    assert.equal(fake.counters().meCalls, 4000)
    assert.equal(fake.counters().unauthorized, 0)
    await client.close()
  }))

test('revoking every token mid-run costs one shared re-login and no errors', () =>
  withFake(async (fake) => {
    const client = new LookerClient(fake.clientOptions())
    await client.me()
    const worker = async () => {
      for (let i = 0; i < 30; i++) {
        await client.me()
        await sleep(10)
      }
    }
    const running = Array.from({ length: 50 }, worker)
    await sleep(150)
    fake.revokeAllTokens()
    await Promise.all(running)
    assert.equal(fake.counters().logins, 2)
    assert.equal(client.stats().logins, 2)
  }))

test('expires_in of 0 or 1 never degrades to a login per call', () =>
  withFake(async (fake) => {
    for (const reported of [0, 1]) {
      fake.resetCounters()
      fake.setReportedExpiresIn(reported)
      const client = new LookerClient(fake.clientOptions())
      const started = Date.now()
      let calls = 0
      while (calls < 300 || Date.now() - started < 1500) {
        await client.me()
        calls++
      }
      const elapsed = (Date.now() - started) / 1000
      const { logins } = fake.counters()
      assert.ok(logins <= Math.ceil(elapsed / 0.75) + 1, `${logins} logins in ${elapsed}s`)
      assert.ok(logins * 20 < calls, `${logins} logins for ${calls} calls`)
      await client.close()
    }
  }))

test('absurd expires_in values are clamped', () =>
  withFake(async (fake) => {
    for (const reported of [-5, 10 * 86400, 'soon', undefined]) {
      fake.resetCounters()
      fake.setReportedExpiresIn(reported)
      const client = new LookerClient(fake.clientOptions())
      for (let i = 0; i < 20; i++) await client.me()
      assert.equal(fake.counters().logins, 1, `expires_in=${reported}`)
      await client.close()
    }
  }))

test('429 with Retry-After and 503 storms are retried within bounds', () =>
  withFake(async (fake) => {
    const client = new LookerClient(fake.clientOptions())
    await client.me()
    fake.resetCounters()
    fake.injectFault({ status: 429, retryAfter: '1' })
    fake.injectFault({ status: 503, count: 2 })
    const started = Date.now()
    await client.me()
    assert.ok(Date.now() - started >= 900, 'the Retry-After was honoured')
    assert.equal(fake.counters().requests, 4)
    fake.injectFault({ status: 503, count: 10 })
    await assert.rejects(client.me(), (e) => e instanceof LookerCIError && e.status === 503)
    assert.equal(fake.pendingFaults(), 6)
    fake.clearFaults()
    await client.close()
  }))

test('a hung server hits the timeout', () =>
  withFake(async (fake) => {
    const client = new LookerClient({ ...fake.clientOptions(), timeout: 0.5 })
    await client.me()
    fake.injectFault({ delay: 30, count: 4 })
    await assert.rejects(client.me(), (e) => {
      assert.equal(e.code, 'LOOKER_CI_TIMEOUT')
      assert.equal(e.method, 'GET')
      assert.equal(e.path, '/user')
      assert.equal(e.timeoutSecs, 0.5)
      return true
    })
    fake.clearFaults()
    fake.stop()
  }))

test('close logs out, refuses further calls, and Symbol.asyncDispose closes', () =>
  withFake(async (fake) => {
    const client = new LookerClient(fake.clientOptions())
    await client.me()
    await client.close()
    assert.equal(fake.counters().logouts, 1)
    assert.equal(fake.liveTokens(), 0)
    await assert.rejects(client.me(), { code: 'LOOKER_CI_CLOSED', message: /create a new client/ })
    await client.close()
    {
      const other = new LookerClient(fake.clientOptions())
      await other.me()
      await other[Symbol.asyncDispose]()
    }
    assert.equal(fake.counters().logouts, 2)
  }))

test('API errors carry status, method, path and message; wrong secret is not shown', () =>
  withFake(async (fake) => {
    const wrong = new LookerClient({ ...fake.clientOptions(), clientSecret: 'wrong-secret-node' })
    await assert.rejects(wrong.me(), (e) => {
      assert.ok(e instanceof LookerCIError)
      assert.equal(e.code, 'LOOKER_CI_API')
      assert.deepEqual([e.status, e.method, e.path, e.apiMessage], [404, 'POST', '/login', 'Not found'])
      assert.ok(e.documentationUrl)
      assert.ok(!require('node:util').inspect(e).includes('wrong-secret-node'))
      return true
    })
    const client = new LookerClient(fake.clientOptions())
    await assert.rejects(client.request('GET', '/no_such'), { code: 'LOOKER_CI_API', status: 404 })
    assert.throws(() => client.loginUser(' '), { code: 'LOOKER_CI_INVALID_ARGUMENT' })
    await assert.rejects(client.request('GET', 'https://evil.example/x'), {
      code: 'LOOKER_CI_INVALID_ARGUMENT',
      argument: 'path',
    })
    await client.close()
  }))

test('request sends query and body, returns JSON or a Buffer', () =>
  withFake(async (fake) => {
    const client = new LookerClient(fake.clientOptions())
    const session = await client.request('PATCH', '/session', { body: { workspace_id: 'dev' } })
    assert.equal(session.workspace_id, 'dev')
    const raw = await client.request('GET', '/api/4.0/user', { query: { fields: ['id', 'email'] }, raw: true })
    assert.ok(Buffer.isBuffer(raw))
    assert.equal(JSON.parse(raw.toString()).id, '1')
    assert.ok(fake.lastHeader('x-looker-appid').startsWith('looker-ci '))
    await client.close()
  }))

test('sudo sessions and dev workspace after re-login', () =>
  withFake(async (fake) => {
    fake.addUser(2, 'Grace', 'Hopper')
    const client = new LookerClient({ ...fake.clientOptions(), devWorkspace: true })
    const grace = client.loginUser(2)
    assert.equal((await grace.me()).display_name, 'Grace Hopper')
    assert.equal((await client.request('GET', '/session')).workspace_id, 'dev')
    fake.revokeAllTokens()
    assert.equal((await client.request('GET', '/session')).workspace_id, 'dev')
    await grace.close()
    await client.close()
    assert.equal(fake.counters().sudoLogins, 1)
  }))

test('fromEnv reads LOOKERSDK_* and env beats looker.ini', () =>
  withFake(async (fake) => {
    const fs = require('node:fs')
    const os = require('node:os')
    const path = require('node:path')
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'looker-ci-'))
    const ini = path.join(dir, 'looker.ini')
    fs.writeFileSync(
      ini,
      `[Looker]\nbase_url=http://127.0.0.1:9\nclient_id=${fake.clientId}\nclient_secret=${fake.clientSecret}\n`,
    )
    const saved = { ...process.env }
    try {
      process.env.LOOKERSDK_BASE_URL = fake.baseUrl
      const client = await LookerClient.fromEnv({ configFile: ini })
      assert.equal(client.baseUrl, fake.baseUrl)
      assert.equal((await client.me()).id, '1')
      await client.close()
      process.env.LOOKERSDK_TIMEOUT = 'ten'
      await assert.rejects(LookerClient.fromEnv({ configFile: ini }), (e) => {
        assert.equal(e.code, 'LOOKER_CI_CONFIG')
        assert.equal(e.setting, 'timeout')
        assert.equal(e.origin, 'environment variable LOOKERSDK_TIMEOUT')
        return true
      })
    } finally {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key]
      Object.assign(process.env, saved)
    }
  }))
