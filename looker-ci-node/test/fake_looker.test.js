'use strict'
// FakeLooker from Node: what the getting-started guide calls (saved queries as PNG, users by id,
// `fields`) and the controls' argument checks (typed errors, never napi's bare TypeErrors).

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { LookerClient, LookerCIError } = require('..')
const { FakeLooker } = require('../lib/testing')

async function world(t) {
  const fake = await FakeLooker.start()
  const client = new LookerClient(fake.clientOptions())
  t.after(async () => {
    await client.close()
    fake.stop()
  })
  return { fake, client }
}

const invalid = (argument, message) => (error) => {
  assert.ok(error instanceof LookerCIError, `${error}`)
  assert.equal(error.code, 'LOOKER_CI_INVALID_ARGUMENT')
  assert.equal(error.argument, argument)
  if (message) assert.match(error.message, message)
  return true
}

test('the guide: a saved query as PNG, users by id, fields', async (t) => {
  const { fake, client } = await world(t)
  const query = await client.createQuery({
    body: { model: 'thelook', view: 'orders', fields: ['orders.status', 'orders.count'] },
  })
  const png = await client.request('GET', `/queries/${query.id}/run/png`, { raw: true })
  assert.ok(Buffer.isBuffer(png))
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
  const csv = await client.runQuery({ query_id: query.id, result_format: 'csv' })
  assert.match(csv, /^orders\.status,orders\.count\n/)

  const models = await client.request('GET', '/lookml_models', { query: { fields: ['name', 'label'] } })
  assert.deepEqual(Object.keys(models[0]).sort(), ['label', 'name'])
  const typed = await client.allLookmlModels({ fields: 'name' })
  assert.deepEqual(typed, [{ name: 'thelook' }])

  fake.addUser(7, 'Grace', 'Hopper')
  fake.setUserPermissions(1, ['see_users'])
  assert.equal((await client.user({ user_id: '7' })).display_name, 'Grace Hopper')
  assert.deepEqual(await client.user({ user_id: '1', fields: 'id' }), { id: '1' })
  await assert.rejects(client.user({ user_id: '8' }), { code: 'LOOKER_CI_API', status: 404 })
})

test('the controls check their arguments with typed errors', async (t) => {
  const { fake } = await world(t)
  assert.throws(() => fake.injectFault({ retry_after: 1 }), invalid('retry_after', /did you mean `retryAfter`/))
  assert.throws(() => fake.injectFault({ status: 503, drop_connection: true }), invalid('drop_connection', /`dropConnection`/))
  assert.throws(() => fake.injectFault({ status: '503' }), invalid('status', /HTTP status/))
  assert.throws(() => fake.injectFault({ count: 1.5 }), invalid('count'))
  assert.throws(() => fake.injectFault(503), invalid('fault'))
  assert.equal(fake.pendingFaults(), 0, 'nothing refused was queued')
  fake.injectFault({ status: 503, retryAfter: 1, count: 2 })
  assert.equal(fake.pendingFaults(), 2, 'seconds may be a number')
  fake.clearFaults()

  assert.throws(() => fake.failLookmlTest('orders_are_ok'), invalid('test', /`orders_have_ids`, `users_are_unique`/))
  assert.match(fake.failLookmlTest('orders_have_ids'), /^[0-9a-f]{40}$/)

  fake.addUser(42, 'Int', 'Id')
  fake.addUser('43', 'Str', 'Id')
  fake.setUserPermissions(42, ['access_data'])
  assert.throws(() => fake.addUser(undefined, 'No', 'Id'), invalid('userId', /a string or a non-negative integer\), got undefined/))
  assert.throws(() => fake.addUser(1.5, 'No', 'Id'), invalid('userId'))
  assert.throws(() => fake.setUserRoles({ id: 1 }, []), invalid('userId'))
  assert.throws(() => fake.setUserRoles(1, { name: 'Admin' }), invalid('roles'))
  assert.throws(() => fake.setUserRoles(1, [{ role: 'x' }]), invalid('roles', /a role is/))
  assert.throws(() => fake.addUser(44, 'First'), invalid('lastName'))

  // Wrong types are named, where napi would have thrown `StringExpected` / `NumberExpected`.
  assert.throws(() => fake.breakField('main', 1, 'boom'), invalid('field', /expects a string, got a number/))
  assert.throws(() => fake.setQueryDuration('1'), invalid('seconds'))
  assert.throws(() => fake.setQueryConcurrencyLimit(-1), invalid('limit'))
  assert.throws(() => fake.setApiLatency(0, null), invalid('maxSeconds'))
  assert.throws(() => fake.setProject('thelook'), invalid('project'))
  assert.throws(() => fake.checkedOutBranch(null), invalid('userId'))
})
