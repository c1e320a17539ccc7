'use strict'
// `client.doctor()`, the CI run in the User-Agent, and the audit trail, against FakeLooker.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { LookerClient, LookerCIError } = require('..')
const { FakeLooker } = require('../lib/testing')

const VALIDATOR = {
  name: 'CI Validator',
  permissions: ['access_data', 'explore', 'see_lookml', 'develop', 'see_sql', 'see_looks', 'see_user_dashboards'],
  models: ['thelook'],
}

async function jobClient(t, extra = {}) {
  const fake = await FakeLooker.start()
  t.after(() => fake.stop())
  const env = {
    GITHUB_ACTIONS: 'true',
    GITHUB_REPOSITORY: 'acme/analytics',
    GITHUB_RUN_ID: '9001',
    GITHUB_JOB: 'looker',
    LOOKERSDK_BASE_URL: fake.baseUrl,
    LOOKERSDK_CLIENT_ID: fake.clientId,
    LOOKERSDK_CLIENT_SECRET: fake.clientSecret,
    ...extra,
  }
  return { fake, makeClient: () => LookerClient.fromEnv({ env }) }
}

const codes = (report, level) => report.findings.filter((f) => f.level === level).map((f) => f.code)

test('doctor: a least-privilege user passes, an admin fails', async (t) => {
  const { fake, makeClient } = await jobClient(t)
  fake.setUserRoles(1, [VALIDATOR])
  let client = await makeClient()
  let report = await client.doctor()
  await client.close()
  assert.equal(report.passed, true, JSON.stringify(report.findings))
  assert.deepEqual(codes(report, 'warning'), ['secrets.static-key'])
  assert.equal(report.ci.system, 'github')
  assert.ok(!JSON.stringify(report).includes(fake.clientSecret))

  fake.setUserRoles(1, [{ name: 'Admin' }])
  client = await makeClient()
  report = await client.doctor(['deploy'])
  await client.close()
  assert.equal(report.passed, false)
  assert.ok(codes(report, 'error').includes('privilege.admin'), JSON.stringify(report.findings))

  client = await makeClient()
  await assert.rejects(client.doctor(['publish']), (e) => e instanceof LookerCIError && /known: lookml/.test(e.message))
  await client.close()
  assert.throws(() => fake.setUserRoles(1, [{ role: 'x' }]), /a role is \{ name, permissions, models \}/)
})

test('audit: every request is recorded under the run, without secrets', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'looker-ci-audit-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  const file = path.join(dir, 'audit.jsonl')
  const { fake, makeClient } = await jobClient(t, { LOOKER_CI_AUDIT_FILE: file })
  const client = await makeClient()
  assert.equal(client.identity().ci.project, 'acme/analytics')
  await client.me()
  await client.close()
  const records = fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line))
  assert.equal(records[0].type, 'run')
  assert.equal(records[0].ci.pipeline, '9001')
  const paths = records.filter((r) => r.type === 'request').map((r) => r.path)
  assert.deepEqual(paths, ['/login', '/user', '/user', '/logout'])
  assert.equal(records.find((r) => r.type === 'login').looker_user_id, '1')
  for (const agent of fake.userAgents()) {
    assert.match(agent, /\(github; repository=acme\/analytics; run=9001; job=looker\)$/)
  }
  assert.ok(!fs.readFileSync(file, 'utf8').includes(fake.clientSecret))
})

test('audit: auditFile for a client built in code; a bad place is a typed error', async (t) => {
  const fake = await FakeLooker.start()
  t.after(() => fake.stop())
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'looker-ci-audit-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  const file = path.join(dir, 'explicit.jsonl')
  const client = new LookerClient({ ...fake.clientOptions(), auditFile: file })
  await client.me()
  await client.close()
  const kinds = fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line).type)
  assert.deepEqual([kinds[0], kinds.at(-1)], ['run', 'request'])
  assert.throws(
    () => new LookerClient({ ...fake.clientOptions(), auditFile: path.join(dir, 'no', 'such.jsonl') }),
    (e) => e instanceof LookerCIError && e.code === 'LOOKER_CI_CONFIG' && /audit_file/.test(e.message),
  )
  assert.throws(() => new LookerClient({ ...fake.clientOptions(), audit_file: file }), /did you mean `auditFile`/)
})

test('describe: an API key given in code is the `settings` source, as the docs call it', async (t) => {
  const fake = await FakeLooker.start()
  t.after(() => fake.stop())
  const client = new LookerClient(fake.clientOptions())
  const report = client.describe()
  assert.equal(report.source, 'settings')
  assert.match(report.detail, new RegExp(`client_id "${fake.clientId}"`))
  assert.equal(report.proxy ?? null, null)
  await client.close()
})

test('loginUser refuses what is not a user id, without a request', async (t) => {
  const fake = await FakeLooker.start()
  t.after(() => fake.stop())
  const client = new LookerClient(fake.clientOptions())
  for (const bad of [undefined, null, 1.5, {}, '', '../2']) {
    assert.throws(
      () => client.loginUser(bad),
      (e) => e instanceof LookerCIError && e.code === 'LOOKER_CI_INVALID_ARGUMENT',
      String(bad),
    )
  }
  assert.equal(fake.counters().requests, 0)
  await client.close()
})

test('doctor: planted problems are each found', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'looker-ci-doctor-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  const key = path.join(dir, 'okta.pem')
  fs.writeFileSync(key, 'not a key')
  fs.chmodSync(key, 0o644)
  const { fake, makeClient } = await jobClient(t, {
    AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/looker-ci',
    AWS_REGION: 'us-east-1',
    LOOKER_CI_AWS_SECRET_ID: 'looker/api-key',
    LOOKER_CI_OKTA_PRIVATE_KEY_FILE: key,
    LOOKERSDK_VERIFY_SSL: 'false',
  })
  fake.setUserRoles(1, [{ name: 'Narrow', permissions: ['see_lookml', 'develop'] }])
  const client = await makeClient()
  const report = await client.doctor(['lookml', 'sql'])
  await client.close()
  const errors = codes(report, 'error')
  for (const code of [
    'secrets.static-key-with-identity',
    'secrets.world-readable',
    'secrets.tls-verification-off',
    'privilege.missing',
  ]) {
    assert.ok(errors.includes(code), `${code}: ${JSON.stringify(report.findings)}`)
  }
  assert.ok(codes(report, 'warning').includes('privilege.all-models'))
  assert.ok(codes(report, 'note').includes('identity.aws-role'))
  assert.equal(report.passed, false)
})

test('a credentials function that calls its own client fails at once instead of hanging', async (t) => {
  const fake = await FakeLooker.start()
  t.after(() => fake.stop())
  let client
  client = new LookerClient({
    baseUrl: fake.baseUrl,
    credentials: async () => {
      await client.me() // re-entrant: would wait for the login this function is part of
      return { clientId: fake.clientId, clientSecret: fake.clientSecret }
    },
  })
  await assert.rejects(client.me(), (e) => e instanceof LookerCIError && /called its own client/.test(e.message))
  // Another client may be used from a credentials function.
  const other = new LookerClient(fake.clientOptions())
  const viaOther = new LookerClient({
    baseUrl: fake.baseUrl,
    credentials: async () => {
      await other.me()
      return { clientId: fake.clientId, clientSecret: fake.clientSecret }
    },
  })
  assert.equal((await viaOther.me()).id, '1')
  await Promise.all([client.close(), other.close(), viaOther.close()])
})

test('doctor: an expired CI token from an unprotected ref and a failed login are found', async (t) => {
  const fake = await FakeLooker.start()
  t.after(() => fake.stop())
  const part = (v) => Buffer.from(JSON.stringify(v)).toString('base64url')
  const now = Math.floor(Date.now() / 1000)
  const token = `${part({ alg: 'RS256' })}.${part({
    iss: 'https://gitlab.example.com',
    aud: 'sts.amazonaws.com',
    ref: 'feature-x',
    ref_protected: 'false',
    exp: now - 120,
  })}.c2ln`
  const client = await LookerClient.fromEnv({
    env: {
      GITLAB_CI: 'true',
      CI_JOB_ID: '4242',
      LOOKERSDK_BASE_URL: fake.baseUrl,
      LOOKER_ID_TOKEN: token,
      AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/looker-ci',
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
      LOOKER_CI_AWS_SECRET_ID: 'looker/api-key',
    },
  })
  const report = await client.doctor()
  await client.close()
  const errors = codes(report, 'error')
  assert.ok(errors.includes('identity.ci-token-expired') && errors.includes('identity.login-failed'), JSON.stringify(report.findings))
  assert.ok(codes(report, 'warning').includes('identity.unprotected-ref'))
  assert.ok(!JSON.stringify(report).includes(token))
})

test('a credentials function resolving to the wrong shape is named by field, never by value', async (t) => {
  const fake = await FakeLooker.start()
  t.after(() => fake.stop())
  const cases = [
    [{ clientId: 'x', clientSecret: 8675309 }, /clientSecret was a number/],
    [{ clientId: 'x', clientSecret: { nested: 'SECRET-IN-OBJECT' } }, /clientSecret was an object/],
    ['SECRET-AS-STRING', /the result was a string/],
    [{ clientId: 'x' }, /clientSecret was missing/],
  ]
  for (const [key, expected] of cases) {
    const client = new LookerClient({ baseUrl: fake.baseUrl, credentials: async () => key })
    await assert.rejects(client.me(), (e) => {
      assert.ok(e instanceof LookerCIError && e.code === 'LOOKER_CI_CREDENTIALS', String(e))
      assert.match(e.message, expected)
      for (const secret of ['8675309', 'SECRET-IN-OBJECT', 'SECRET-AS-STRING']) {
        assert.ok(!e.message.includes(secret), e.message)
      }
      return true
    })
    await client.close()
  }
})
