'use strict'

// JSON replies with more than a million values through `request()` and `me()` (issue 10): they
// cross to JS as one string for `JSON.parse`, like the generated methods' replies, so their size
// has no limit of its own; a reply that is not JSON is a LookerCIError.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const http = require('node:http')
const { LookerClient, LookerCIError } = require('..')
const { FakeLooker } = require('../lib/testing')

const COUNT = 1_200_000

/** A loopback Looker: a login, then each path's reply from `replies` (a string body). */
async function withServer(replies, fn) {
  const server = http.createServer((req, res) => {
    const path = req.url.split('?')[0]
    req.resume()
    req.on('end', () => {
      if (req.method === 'POST' && path === '/api/4.0/login') {
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify({ access_token: 'large-replies-token', token_type: 'Bearer', expires_in: 3600 }))
      } else if (req.method === 'DELETE' && path === '/api/4.0/logout') {
        res.statusCode = 204
        res.end()
      } else if (req.method === 'GET' && path in replies) {
        res.setHeader('content-type', 'application/json')
        res.end(replies[path])
      } else {
        res.statusCode = 404
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify({ message: 'Not found' }))
      }
    })
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const client = new LookerClient({
    baseUrl: `http://127.0.0.1:${server.address().port}`,
    clientId: 'large-replies',
    clientSecret: 'large-replies-secret',
  })
  try {
    await fn(client)
  } finally {
    await client.close()
    server.close()
  }
}

const numbers = JSON.stringify(Array.from({ length: COUNT }, (_, i) => i * 3))

test('request() decodes a JSON reply of 1.2 million values', () =>
  withServer({ '/api/4.0/numbers': numbers }, async (client) => {
    const result = await client.request('GET', '/numbers')
    assert.ok(Array.isArray(result))
    assert.equal(result.length, COUNT)
    assert.deepEqual([result[0], result[1], result[654_321], result[COUNT - 1]], [0, 3, 1_962_963, (COUNT - 1) * 3])
  }))

test('me() decodes a user of 1.2 million values', () =>
  withServer(
    { '/api/4.0/user': `{"id":"7","display_name":"Big User","role_ids":${numbers}}` },
    async (client) => {
      const me = await client.me()
      assert.equal(me.id, '7')
      assert.equal(me.display_name, 'Big User')
      assert.equal(me.role_ids.length, COUNT)
      assert.equal(me.role_ids[COUNT - 1], (COUNT - 1) * 3)
    },
  ))

test('request() and me() of a reply that is not JSON fail with LOOKER_CI_DECODE', () =>
  withServer({ '/api/4.0/broken': '{"id": "1", "title": ', '/api/4.0/user': '[1, 2' }, async (client) => {
    await assert.rejects(client.request('GET', '/broken'), (e) => {
      assert.ok(e instanceof LookerCIError, `${e}`)
      assert.equal(e.code, 'LOOKER_CI_DECODE')
      assert.deepEqual([e.method, e.path], ['GET', '/broken'])
      assert.ok(!e.message.includes('title'), 'the reply is not quoted')
      return true
    })
    await assert.rejects(client.me(), (e) => {
      assert.ok(e instanceof LookerCIError, `${e}`)
      assert.equal(e.code, 'LOOKER_CI_DECODE')
      return true
    })
  }))

test('me() takes fields and returns the same User as the generated method; request() the same objects', async () => {
  const fake = await FakeLooker.start()
  const client = new LookerClient(fake.clientOptions())
  try {
    assert.deepEqual(await client.me({ fields: 'id,display_name' }), { id: '1', display_name: 'Ada Admin' })
    const me = await client.me()
    assert.equal(me.id, '1')
    assert.deepEqual(me, await client.user({ user_id: '1' }))
    assert.deepEqual(await client.request('GET', '/user'), me)
    assert.deepEqual(
      await client.request('GET', '/lookml_models', { query: { fields: ['name', 'label'] } }),
      await client.allLookmlModels({ fields: 'name,label' }),
    )
    await assert.rejects(client.me({ feilds: 'id' }), { code: 'LOOKER_CI_INVALID_ARGUMENT', argument: 'feilds' })
    await assert.rejects(client.me('id'), { code: 'LOOKER_CI_INVALID_ARGUMENT', argument: 'params' })
    await assert.rejects(client.request('GET', '/user', { body: { n: 1n } }), {
      code: 'LOOKER_CI_INVALID_ARGUMENT',
      argument: 'body',
    })
  } finally {
    await client.close()
    fake.stop()
  }
})

test('request() sends a body of 1.2 million values', async () => {
  const fake = await FakeLooker.start()
  const client = new LookerClient(fake.clientOptions())
  try {
    const ids = Array.from({ length: COUNT }, (_, i) => String(i))
    // FakeLooker reads `workspace_id` from the body and ignores the rest: the body arrived whole.
    const session = await client.request('PATCH', '/session', { body: { workspace_id: 'dev', ids } })
    assert.equal(session.workspace_id, 'dev')
  } finally {
    await client.close()
    fake.stop()
  }
})
