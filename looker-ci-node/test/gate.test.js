'use strict'
// The CI gate from Node: `validate`, the reports, deploy and refresh, the FakeLooker world
// controls, and the `looker-ci` command (`bin/looker-ci.js`), against a FakeLooker started here.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const fs = require('node:fs')
const os = require('node:os')
const { execFile, execFileSync, spawn } = require('node:child_process')
const { promisify } = require('node:util')
const { inspect } = require('node:util')
const { LookerClient, LookerCIError, renderReport, version } = require('..')
const { FakeLooker } = require('../lib/testing')

const BROKEN = 'ERROR: column orders.status does not exist'
const BIN = path.join(__dirname, '..', 'bin', 'looker-ci.js')

async function world(t) {
  const fake = await FakeLooker.start()
  const client = new LookerClient(fake.clientOptions())
  t.after(async () => {
    await client.close()
    fake.stop()
  })
  return { fake, client }
}

const temporaryBranches = (fake) => fake.branches().filter((b) => b.startsWith('looker-ci-tmp-'))

function withFieldError(project, field, message) {
  for (const view of project.views) {
    for (const f of [...view.dimensions, ...view.measures]) if (f.name === field) f.error = message
  }
  return project
}

test('sql: a clean project passes, a broken field is found', async (t) => {
  const { fake, client } = await world(t)
  const clean = await client.validate('sql', { project: 'thelook' })
  assert.equal(clean.passed, true)
  assert.deepEqual(clean.findings, [])
  assert.equal(clean.validator, 'sql')
  assert.equal(clean.ref.kind, 'production')
  assert.deepEqual(clean.explores.map((e) => [e.explore, e.status]).sort(), [
    ['orders', 'passed'],
    ['users', 'passed'],
  ])
  assert.ok(clean.counts.queries_run > 0)
  assert.equal(clean.counts.queries_run, fake.warehouseCounters().queriesRun)

  fake.breakField('main', 'orders.status', BROKEN)
  fake.resetWarehouseCounters()
  const result = await client.validate('sql', { project: 'thelook', explores: ['thelook/*'] })
  assert.equal(result.passed, false)
  assert.equal(result.findings.length, 1)
  const [finding] = result.findings
  assert.equal(finding.scope, 'field')
  assert.equal(finding.field, 'orders.status')
  assert.equal(finding.explore, 'orders')
  assert.equal(finding.message, BROKEN)
  assert.equal(finding.file, 'views/orders.view.lkml')
  assert.equal(finding.line, 8)
  assert.match(finding.sql, /orders\.status/)
  assert.equal(result.counts.queries_run, fake.warehouseCounters().queriesRun)
})

test("sql: Looker's own replies: notes, tasks shown as expired, stale branch copies, slow validations", async (t) => {
  const { fake, client } = await world(t)
  const clean = fake.project()
  fake.setDevModeNote(true)
  fake.setExpiredPolls(2)
  fake.breakField('main', 'orders.status', BROKEN)
  const result = await client.validate('sql', { project: 'thelook' })
  assert.deepEqual(result.findings.map((f) => f.field), ['orders.status'])
  assert.equal(result.findings[0].message, BROKEN)
  fake.setDevModeNote(false)
  fake.setExpiredPolls(0)

  // Killed in Looker: each explore is one unchecked finding, not searched.
  fake.setQueriesKilled(true)
  const killed = await client.validate('sql', { project: 'thelook' })
  assert.deepEqual([...new Set(killed.explores.map((e) => e.status))], ['unchecked'])
  assert.deepEqual(killed.findings.map((f) => f.scope), ['explore', 'explore'])
  fake.setQueriesKilled(false)

  const old = fake.createBranch('feature', clean)
  const pushed = fake.createBranch('feature', fake.project())
  fake.setStaleCopy(1, 'feature', old)
  const onBranch = await client.validate('sql', { project: 'thelook', branch: 'feature' })
  assert.equal(onBranch.ref.commit, pushed)
  assert.deepEqual(onBranch.findings.map((f) => f.field), ['orders.status'])
  assert.deepEqual(temporaryBranches(fake), [])

  // Asked for the production branch, Looker gives the personal one (made from production before
  // users.name broke): production is validated all the same.
  fake.breakField('main', 'users.name', 'ERROR: column users.name does not exist')
  fake.setProductionCheckoutGivesPersonal(true)
  const onMain = await client.validate('sql', { project: 'thelook', branch: 'main' })
  assert.deepEqual([...new Set(onMain.findings.map((f) => f.field))].sort(), ['orders.status', 'users.name'])
  assert.deepEqual(temporaryBranches(fake), [])

  fake.setValidationDuration(0.2)
  const lookml = await client.validate('lookml', { project: 'thelook' })
  assert.equal(lookml.validator, 'lookml')
  assert.throws(() => fake.setExpiredPolls(-1), { code: 'LOOKER_CI_INVALID_ARGUMENT' })
  assert.throws(() => fake.setStaleCopy(1, 'no-such-branch', old), { code: 'LOOKER_CI_INVALID_ARGUMENT' })
})

test('sql: options in camelCase reach the core', async (t) => {
  const { fake, client } = await world(t)
  fake.setQueryDuration(0.05)
  const slotted = await client.validate('sql', { project: 'thelook', concurrency: 1, dimensionsOnly: true })
  assert.equal(slotted.passed, true)
  assert.equal(fake.warehouseCounters().maxRunningPerUser, 1)
  fake.setQueryDuration(0)
  fake.slowField('main', 'users.name', 30)
  fake.resetWarehouseCounters()
  const timedOut = await client.validate('sql', {
    project: 'thelook',
    explores: ['thelook/users'],
    queryTimeout: 0.5,
  })
  assert.equal(timedOut.passed, false)
  assert.deepEqual(timedOut.explores.map((e) => e.status), ['timed_out'])
  assert.ok(fake.warehouseCounters().queriesCancelled >= 1)
  assert.equal(fake.warehouseCounters().running, 0)
})

test('sql: shardTimings from an earlier run balance the shards', async (t) => {
  const { client } = await world(t)
  const earlier = await client.validate('sql', { project: 'thelook' })
  // As if `users` had been ten times as slow as `orders`: it is placed first, alone.
  for (const explore of earlier.explores) {
    assert.ok(explore.query_seconds > 0)
    explore.query_seconds = explore.explore === 'users' ? 5 : 0.5
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'looker-ci-timings-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  const timings = path.join(dir, 'sql.json')
  fs.writeFileSync(timings, JSON.stringify(earlier))
  const byCount = await client.validate('sql', { project: 'thelook', shard: '1/2' })
  assert.deepEqual(byCount.explores.map((e) => e.explore), ['orders'])
  const first = await client.validate('sql', { project: 'thelook', shard: '1/2', shardTimings: timings })
  const second = await client.validate('sql', { project: 'thelook', shard: '2/2', shardTimings: timings })
  assert.deepEqual(first.explores.map((e) => e.explore), ['users'])
  assert.deepEqual(second.explores.map((e) => e.explore), ['orders'])
  assert.equal(first.split, second.split)
  assert.notEqual(first.split, byCount.split)
  await assert.rejects(
    client.validate('sql', { project: 'thelook', shardTimings: path.join(dir, 'missing.json') }),
    (err) => err.code === 'LOOKER_CI_INVALID_ARGUMENT' && err.argument === 'shard_timings',
  )
})

test('sql: a broken join, a missing table and an ambiguous column', async (t) => {
  const { fake, client } = await world(t)
  const original = fake.project()
  fake.breakJoin('main', 'thelook', 'orders', 'users', 'missing FROM-clause entry for table "userz"')
  const join = await client.validate('sql', { project: 'thelook', explores: ['thelook/orders'] })
  assert.deepEqual(join.findings.map((f) => [f.scope, f.view]), [['join', 'users']])

  fake.setProject(original)
  fake.breakTable('main', 'users', 'relation "thelook.users" does not exist')
  const table = await client.validate('sql', { project: 'thelook', explores: ['thelook/users'] })
  assert.deepEqual(table.findings.map((f) => f.scope), ['explore'])

  fake.setProject(original)
  fake.makeAmbiguous('main', 'orders.id', 'users')
  const ambiguous = await client.validate('sql', { project: 'thelook', explores: ['thelook/orders'] })
  assert.equal(ambiguous.findings.length, 1)
  assert.equal(ambiguous.findings[0].scope, 'explore')
  assert.ok(ambiguous.findings[0].fields.includes('orders.id'))
})

test('options and validators are checked, with typed errors', async (t) => {
  const { client } = await world(t)
  await assert.rejects(client.validate('sql', { project: 'thelook', concurency: 3 }), (error) => {
    assert.ok(error instanceof LookerCIError)
    assert.equal(error.code, 'LOOKER_CI_INVALID_ARGUMENT')
    assert.equal(error.argument, 'concurency')
    assert.match(error.message, /did you mean `concurrency`/)
    return true
  })
  await assert.rejects(client.validate('sql', { project: 'thelook', query_timeout: 3 }), {
    code: 'LOOKER_CI_INVALID_ARGUMENT',
    message: /did you mean `queryTimeout`/,
  })
  await assert.rejects(client.validate('sqll', { project: 'thelook' }), {
    code: 'LOOKER_CI_INVALID_ARGUMENT',
    argument: 'validator',
    message: /sqll/,
  })
  await assert.rejects(client.validate('sql', { project: 'thelook', concurrency: 0 }), {
    code: 'LOOKER_CI_INVALID_ARGUMENT',
    argument: 'concurrency',
  })
  await assert.rejects(client.validate('sql'), { code: 'LOOKER_CI_INVALID_ARGUMENT', argument: 'options' })
  await assert.rejects(client.validate('sql', {}), { code: 'LOOKER_CI_INVALID_ARGUMENT', argument: 'project' })
  await assert.rejects(client.validate('sql', { project: 'thelook', explores: ['thelook/ordres'] }), {
    message: /ordres/,
  })
})

test('renderReport: junit, codequality, markdown, github, json', async (t) => {
  const { fake, client } = await world(t)
  fake.breakField('main', 'orders.status', BROKEN)
  const result = await client.validate('sql', { project: 'thelook' })
  const junit = renderReport(result, 'junit')
  assert.match(junit, /^<\?xml/)
  assert.match(junit, /<testsuite /)
  assert.match(junit, /<testcase [^>]*name="orders"[^>]*>\s*<failure /)
  const quality = JSON.parse(renderReport(result, 'codequality'))
  assert.ok(Array.isArray(quality))
  assert.equal(quality.length, 1)
  assert.equal(quality[0].location.path, 'views/orders.view.lkml')
  assert.equal(quality[0].location.lines.begin, 8)
  const markdown = renderReport(result, 'markdown')
  assert.match(markdown, /\| .* \|/)
  assert.ok(markdown.includes(BROKEN))
  assert.match(renderReport(result, 'github'), /^::error file=views\/orders\.view\.lkml,line=8/)
  assert.deepEqual(JSON.parse(renderReport(result, 'json')), result)
  assert.throws(() => renderReport(result, 'html'), { code: 'LOOKER_CI_INVALID_ARGUMENT' })
  assert.throws(() => renderReport({ passed: true }, 'junit'), { code: 'LOOKER_CI_INVALID_ARGUMENT' })
})

test('pathPrefix: reports name files from the repository root', async (t) => {
  const { fake, client } = await world(t)
  fake.breakField('main', 'orders.status', BROKEN)
  const result = await client.validate('sql', { project: 'thelook', pathPrefix: 'looker/' })
  assert.equal(result.path_prefix, 'looker')
  assert.equal(result.findings[0].file, 'views/orders.view.lkml')
  const quality = JSON.parse(renderReport(result, 'codequality'))
  assert.equal(quality[0].location.path, 'looker/views/orders.view.lkml')
  assert.match(renderReport(result, 'github'), /^::error file=looker\/views\/orders\.view\.lkml,line=8/)
  await assert.rejects(client.validate('sql', { project: 'thelook', pathPrefix: '../x' }), {
    code: 'LOOKER_CI_INVALID_ARGUMENT',
    argument: 'path_prefix',
  })
})

test('a commit is validated on a temporary branch that is removed', async (t) => {
  const { fake, client } = await world(t)
  const sha = fake.addCommit(withFieldError(fake.project(), 'orders.status', BROKEN))
  const result = await client.validate('sql', { project: 'thelook', commit: sha })
  assert.deepEqual(result.ref, { kind: 'commit', name: sha, commit: sha })
  assert.deepEqual(result.findings.map((f) => f.field), ['orders.status'])
  assert.deepEqual(temporaryBranches(fake), [])
  assert.ok(!(fake.checkedOutBranch(1) ?? '').startsWith('looker-ci-tmp-'))
  assert.equal((await client.validate('sql', { project: 'thelook' })).passed, true)
})

test('validate({ signal }): aborting cancels the queries in Looker and removes the branch', async (t) => {
  const { fake, client } = await world(t)
  const sha = fake.addCommit(fake.project())
  fake.setQueryDuration(30)
  const controller = new AbortController()
  const running = client.validate('sql', { project: 'thelook', commit: sha, signal: controller.signal })
  // Abort once queries run in the warehouse (a state polled, at most 3000 times).
  for (let i = 0; i < 3000 && fake.warehouseCounters().running === 0; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  assert.ok(fake.warehouseCounters().running > 0, 'queries are running')
  assert.equal(temporaryBranches(fake).length, 1)
  controller.abort()
  await assert.rejects(running, (error) => {
    assert.ok(error instanceof LookerCIError)
    assert.equal(error.code, 'LOOKER_CI_CANCELLED')
    assert.equal(error.cause?.name, 'AbortError')
    return true
  })
  assert.deepEqual(temporaryBranches(fake), [])
  assert.ok(!(fake.checkedOutBranch(1) ?? '').startsWith('looker-ci-tmp-'))
  const counters = fake.warehouseCounters()
  assert.ok(counters.queriesCancelled >= 1, inspect(counters))
  assert.equal(counters.running, 0)

  // Already aborted: nothing starts.
  fake.resetWarehouseCounters()
  const requests = fake.counters()
  await assert.rejects(
    client.validate('sql', { project: 'thelook', signal: AbortSignal.abort() }),
    (error) => error instanceof LookerCIError && error.code === 'LOOKER_CI_CANCELLED',
  )
  assert.deepEqual(fake.counters(), requests)
  // Not a signal: a typed error naming it.
  await assert.rejects(
    client.validate('sql', { project: 'thelook', signal: 'soon' }),
    (error) => error.code === 'LOOKER_CI_INVALID_ARGUMENT' && error.argument === 'signal',
  )
  // A signal that never fires changes nothing.
  fake.setQueryDuration(0)
  const result = await client.validate('sql', { project: 'thelook', signal: new AbortController().signal })
  assert.equal(result.passed, true)
})

test('imported projects follow the validated branch', async (t) => {
  const { fake, client } = await world(t)
  const main = fake.project()
  const users = main.views.find((v) => v.name === 'users')
  main.views = main.views.filter((v) => v !== users)
  main.imports = [{ name: 'shared_views' }]
  fake.addProject({ name: 'shared_views', views: [users] })
  fake.setProject(main)
  fake.createBranch('feature', main)
  const broken = { name: 'shared_views', views: [structuredClone(users)] }
  withFieldError(broken, 'users.name', 'ERROR: column users.name does not exist')
  fake.createProjectBranch('shared_views', 'feature', broken)
  const result = await client.validate('sql', { project: 'thelook', branch: 'feature' })
  assert.deepEqual([...new Set(result.findings.map((f) => f.field))], ['users.name'])
  assert.deepEqual(
    result.ref.imports?.map((i) => [i.project, i.kind, i.name]),
    [['shared_views', 'branch', 'feature']],
  )
  const pinned = await client.validate('sql', {
    project: 'thelook',
    commit: fake.addCommit(main),
    importRefs: { shared_views: 'main' },
  })
  assert.equal(pinned.passed, true)
  assert.deepEqual(fake.projectBranches('shared_views').filter((b) => b.startsWith('looker-ci-tmp-')), [])
  assert.ok(!(fake.projectCheckedOutBranch('shared_views', 1) ?? '').startsWith('looker-ci-tmp-'))
})

test('a branch is validated; without `develop` the error says so', async (t) => {
  const { fake, client } = await world(t)
  const feature = fake.project()
  feature.lookml_errors = [{ message: 'Unknown view "customers"', file: 'views/orders.view.lkml', line: 3 }]
  fake.createBranch('feature', feature)
  assert.ok(fake.branches().includes('feature'))
  assert.equal(fake.branchProject('nope'), undefined)
  const result = await client.validate('lookml', { project: 'thelook', branch: 'feature' })
  assert.deepEqual([result.ref.kind, result.ref.name], ['branch', 'feature'])
  assert.deepEqual(result.findings.map((f) => [f.scope, f.line]), [['lookml', 3]])
  fake.setUserPermissions(1, ['access_data'])
  await assert.rejects(client.validate('lookml', { project: 'thelook', branch: 'feature' }), {
    code: 'LOOKER_CI_API',
    status: 403,
    message: /develop/,
  })
})

test('lookml, data tests and content findings', async (t) => {
  const { fake, client } = await world(t)
  fake.addLookmlError('Unknown view "customers"')
  const lookml = await client.validate('lookml', { project: 'thelook' })
  assert.deepEqual(lookml.findings.map((f) => [f.scope, f.message]), [['lookml', 'Unknown view "customers"']])
  assert.equal((await client.validate('lookml', { project: 'thelook', severity: 'fatal' })).passed, true)

  assert.equal((await client.validate('assert', { project: 'thelook' })).counts.tests_run, 2)
  fake.failLookmlTest('users_are_unique')
  const tests = await client.validate('assert', { project: 'thelook' })
  assert.deepEqual(tests.findings.map((f) => [f.scope, f.test]), [['test', 'users_are_unique']])

  assert.equal((await client.validate('content', { project: 'thelook' })).passed, true)
  fake.breakContent('Revenue by month')
  const content = await client.validate('content', { project: 'thelook' })
  assert.deepEqual(content.findings.map((f) => [f.scope, f.title, f.content_type]), [
    ['content', 'Revenue by month', 'look'],
  ])
  const excluded = await client.validate('content', { project: 'thelook', excludeFolders: ['Sales'] })
  assert.equal(excluded.passed, true)
})

test('deploy, runSchedule, triggerDatagroup', async (t) => {
  const { fake, client } = await world(t)
  fake.createBranch('release', fake.project())
  await client.deploy({ project: 'thelook', branch: 'release' })
  assert.equal(fake.deployedRef(), 'release')
  const sha = fake.addCommit(fake.project())
  await client.deploy({ project: 'thelook', commit: sha })
  assert.equal(fake.deployedRef(), sha)
  const plan = await client.runSchedule(101)
  assert.equal(plan.run_once, true)
  assert.equal(fake.scheduledPlanRuns().length, 1)
  const now = Date.now() / 1000
  await client.triggerDatagroup('thelook', 'orders_etl')
  assert.ok(fake.datagroup('orders_etl').stale_before >= now - 5)
  await assert.rejects(client.triggerDatagroup('thelook', 'no_such_datagroup'), LookerCIError)
})

test('world controls: round trip, counters, typed errors', async (t) => {
  const { fake } = await world(t)
  const project = fake.project()
  assert.equal(fake.setProject(project).length, 40)
  assert.deepEqual(fake.project(), project)
  assert.deepEqual(fake.branches(), ['main'])
  assert.equal(fake.checkedOutBranch('1'), undefined)
  fake.setApiLatency(0.01, 0.02)
  fake.setQueryConcurrencyLimit(2)
  assert.throws(() => fake.setProject({ name: 'thelook', modles: [] }), {
    code: 'LOOKER_CI_INVALID_ARGUMENT',
    argument: 'project',
    message: /modles/,
  })
  assert.throws(() => fake.breakField('main', 'orders.nope', BROKEN), {
    code: 'LOOKER_CI_INVALID_ARGUMENT',
    argument: 'field',
  })
  assert.throws(() => fake.removeField('nobranch', 'orders.id'), { argument: 'branch' })
  assert.throws(() => fake.slowField('main', 'orders.id', -1), { code: 'LOOKER_CI_INVALID_ARGUMENT' })
  assert.throws(() => fake.setQueryDuration(Number.NaN), { code: 'LOOKER_CI_INVALID_ARGUMENT' })
  fake.resetWarehouseCounters()
  assert.deepEqual(new Set(Object.values(fake.warehouseCounters())), new Set([0]))
})

test('no secret in results, reports or errors', async (t) => {
  const { fake, client } = await world(t)
  fake.breakField('main', 'orders.status', BROKEN)
  const sha = fake.addCommit(fake.project())
  const result = await client.validate('sql', { project: 'thelook', commit: sha })
  const texts = [JSON.stringify(result), inspect(result, { depth: null }), inspect(client)]
  for (const format of ['junit', 'codequality', 'markdown', 'text']) texts.push(renderReport(result, format))
  const error = await client.validate('sql', { project: 'thelook', concurency: 1 }).catch((e) => e)
  texts.push(inspect(error), JSON.stringify(error))
  const secrets = [fake.clientSecret, ...fake.issuedTokens()]
  assert.ok(secrets.length > 1)
  for (const text of texts) for (const secret of secrets) assert.ok(!text.includes(secret))
})

// The command

const execFileAsync = promisify(execFile)

function commandEnv(fake) {
  const env = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(LOOKERSDK_|CI_|GITHUB_|GITLAB_|LOOKER_CI_)/.test(k)) env[k] = v
  }
  return { ...env, ...fake.env(), NO_COLOR: '1' }
}

/** Run `bin/looker-ci.js` without blocking this process (the fake serves from its own threads). */
async function run(args, env, cwd) {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [BIN, ...args], { env, cwd, timeout: 120_000 })
    return { code: 0, stdout, stderr }
  } catch (error) {
    if (typeof error.code !== 'number') throw error
    return { code: error.code, stdout: error.stdout, stderr: error.stderr }
  }
}

test('the command: exit codes, --json, --help, --version, no secret in its output', async (t) => {
  const { fake } = await world(t)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'looker-ci-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  const env = commandEnv(fake)
  const json = path.join(dir, 'result.json')

  const passed = await run(['lookml', '--project', 'thelook', '--json', json], env, dir)
  assert.equal(passed.code, 0, passed.stderr)
  assert.equal(JSON.parse(fs.readFileSync(json, 'utf8')).passed, true)

  fake.addLookmlError('Unknown view "customers"')
  const junit = path.join(dir, 'junit.xml')
  const failed = await run(['lookml', '--project', 'thelook', '--json', json, '--junit', junit], env, dir)
  assert.equal(failed.code, 1, failed.stderr)
  assert.match(failed.stdout, /Unknown view "customers"/)
  assert.equal(JSON.parse(fs.readFileSync(json, 'utf8')).findings[0].scope, 'lookml')
  assert.match(fs.readFileSync(junit, 'utf8'), /<testsuite/)

  const usage = await run(['lookml', '--project', 'thelook', '--concurency', '3'], env, dir)
  assert.equal(usage.code, 2)
  const badKey = await run(['lookml', '--project', 'thelook'], { ...env, LOOKERSDK_CLIENT_SECRET: 'not-the-secret' }, dir)
  assert.equal(badKey.code, 3, badKey.stderr)
  assert.ok(!(badKey.stdout + badKey.stderr).includes('not-the-secret'))

  const help = await run(['--help'], env, dir)
  assert.equal(help.code, 0)
  assert.match(help.stdout, /lookml/)
  const shown = await run(['--version'], env, dir)
  assert.equal(shown.code, 0)
  assert.ok(shown.stdout.includes(version))

  const secrets = [fake.clientSecret, ...fake.issuedTokens()]
  for (const done of [passed, failed, usage, badKey]) {
    for (const secret of secrets) assert.ok(!done.stdout.includes(secret) && !done.stderr.includes(secret))
  }
})

test('the command runs with a blocked event loop too: the fake serves from its own threads', async (t) => {
  const { fake } = await world(t)
  const out = execFileSync(process.execPath, [BIN, 'lookml', '--project', 'thelook'], {
    env: commandEnv(fake),
    encoding: 'utf8',
    timeout: 60_000,
  })
  assert.match(out, /PASSED/)
})

for (const signal of ['SIGTERM', 'SIGINT']) {
  test(`the command, cancelled by ${signal}: the branch is restored, exit code 130`, async (t) => {
    const { fake } = await world(t)
    const sha = fake.addCommit(fake.project())
    fake.setQueryDuration(60)
    const child = spawn(process.execPath, [BIN, 'sql', '--project', 'thelook', '--commit', sha], {
      env: commandEnv(fake),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.stdout.resume()
    const exited = new Promise((resolve) => child.on('exit', (code, sig) => resolve({ code, sig })))
    t.after(() => child.kill('SIGKILL'))
    const deadline = Date.now() + 30_000
    while (fake.warehouseCounters().running === 0) {
      assert.equal(child.exitCode, null, stderr)
      assert.ok(Date.now() < deadline, 'the validation never started a query')
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    assert.ok(temporaryBranches(fake).length > 0)
    child.kill(signal)
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    const { code, sig } = await exited
    clearTimeout(timer)
    assert.deepEqual({ code, sig }, { code: 130, sig: null }, stderr)
    assert.match(stderr, /cancelled/)
    assert.deepEqual(temporaryBranches(fake), [])
  })
}
