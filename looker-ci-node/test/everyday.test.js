'use strict'
// The everyday CI calls through the generated methods, against FakeLooker's small Looker world:
// validation, data tests, content validation, deploys, inline queries, scheduled plans run once,
// datagroup triggers.

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

test('validate, test, check content and deploy', async (t) => {
  const { fake, client } = await world(t)
  assert.deepEqual((await client.validateProject({ project_id: 'thelook' })).errors, [])
  // Non-ASCII and escaped text: the reply goes to JS as UTF-8 rather than the ASCII fast path.
  fake.addLookmlError('Vue « clients » inconnue \u2603 "quoted" \\ back')
  const [unicode] = (await client.validateProject({ project_id: 'thelook' })).errors
  assert.equal(unicode.message, 'Vue « clients » inconnue \u2603 "quoted" \\ back')
  fake.addLookmlError('Unknown view "customers"')
  const { errors } = await client.validateProject({ project_id: 'thelook' })
  assert.deepEqual(errors.map((e) => e.message).slice(1), ['Unknown view "customers"'])
  fake.failLookmlTest('users_are_unique')
  const failed = (await client.runLookmlTest({ project_id: 'thelook' })).filter((r) => !r.success)
  assert.deepEqual(failed.map((r) => r.test_name), ['users_are_unique'])
  fake.breakContent('Revenue by month')
  const { content_with_errors: broken } = await client.contentValidation()
  assert.deepEqual(broken.map((b) => b.look.title), ['Revenue by month'])
  assert.equal(fake.deployedRef(), undefined)
  await client.deployRefToProduction({ project_id: 'thelook', ref: 'a1b2c3' })
  assert.equal(fake.deployedRef(), 'a1b2c3')
})

test('inline queries in json and csv; a bad field names the field', async (t) => {
  const { client } = await world(t)
  const body = { model: 'thelook', view: 'users', fields: ['users.name'] }
  const rows = await client.runInlineQuery({ result_format: 'json', body })
  assert.deepEqual(rows, [{ 'users.name': 'Ada' }, { 'users.name': 'Grace' }, { 'users.name': 'Alan' }])
  const csv = await client.runInlineQuery({ result_format: 'csv', body: { ...body, limit: '1' } })
  assert.equal(csv, 'users.name\nAda\n')
  await assert.rejects(
    client.runInlineQuery({ result_format: 'json', body: { ...body, fields: ['users.secret_sauce'] } }),
    (error) => {
      assert.ok(error instanceof LookerCIError)
      assert.equal(error.status, 422)
      assert.equal(error.fieldErrors[0].field, 'fields')
      assert.match(error.message, /users\.secret_sauce/)
      return true
    },
  )
})

test('run a scheduled plan once and trigger a datagroup', async (t) => {
  const { fake, client } = await world(t)
  const destination = { type: 'email', address: 'data-team@example.com', format: 'csv_zip' }
  const plan = await client.scheduledPlanRunOnce({
    body: { name: 'nightly', look_id: '3', scheduled_plan_destination: [destination] },
  })
  assert.equal(plan.id, '1')
  assert.deepEqual(fake.scheduledPlanRuns().map((p) => p.name), ['nightly'])
  await assert.rejects(client.scheduledPlanRunOnce({ body: { name: 'nowhere', look_id: '3' } }), (error) => {
    assert.equal(error.fieldErrors[0].field, 'scheduled_plan_destination')
    return true
  })
  assert.equal(fake.scheduledPlanRuns().length, 1)

  const etl = (await client.allDatagroups()).find((d) => d.name === 'orders_etl')
  const updated = await client.updateDatagroup({ datagroup_id: etl.id, body: { stale_before: 1790000000 } })
  assert.equal(updated.stale_before, 1790000000)
  assert.equal(fake.datagroup('orders_etl').stale_before, 1790000000)
  assert.equal(fake.datagroup('daily').stale_before, null)
  assert.equal(fake.datagroup('no_such_group'), undefined)
})
