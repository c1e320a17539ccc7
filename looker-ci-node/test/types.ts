// Compile-only check that the hand-written facade types and the generated native types hold
// together (run by `npm run typecheck`).
import {
  LookerClient,
  LookerCIError,
  renderReport,
  type ClientStats,
  type Finding,
  type ValidateOptions,
  type ValidationResult,
} from 'looker-ci'
import { FakeLooker, type FakeProject, type WarehouseCounters } from 'looker-ci/testing'
import type { NativeClient } from '../native'

export async function example(): Promise<void> {
  const fake = await FakeLooker.start()
  await using client = new LookerClient({ ...fake.clientOptions(), timeout: 5 })
  const me = await client.me()
  const myName: string | null | undefined = me.display_name
  const myId: string | undefined = (await client.me({ fields: 'id' })).id
  // @ts-expect-error me() takes its parameters as an object, as the generated methods do
  await client.me('id')
  // @ts-expect-error `feilds` is not a parameter of me()
  await client.me({ feilds: 'id' })
  void [myName, myId]
  const raw: Buffer = await client.request('GET', '/user', { raw: true })
  const session = await client.request<{ workspace_id: string }>('GET', '/session')
  const stats: ClientStats = client.stats()
  const source: string = client.describe().source
  const explore = await client.lookmlModelExplore({ lookml_model_name: 'm', explore_name: 'e', fields: 'id' })
  const exploreName: string | null | undefined = explore.name
  const models: Array<{ name?: string | null }> = await client.allLookmlModels()
  void [exploreName, models]
  // Request bodies are the spec's models: a misspelt or mistyped field does not compile.
  await client.createQuery({ body: { model: 'thelook', view: 'orders', fields: ['orders.id'] } })
  // @ts-expect-error `veiw` is not a field of Query
  await client.createQuery({ body: { model: 'thelook', veiw: 'orders' } })
  // @ts-expect-error stale_before is epoch seconds, not a string
  await client.updateDatagroup({ datagroup_id: '1', body: { stale_before: 'soon' } })
  await client.setUserRoles({ user_id: '1', body: ['2', '3'] })
  const runs: Array<Record<string, unknown>> = fake.scheduledPlanRuns()
  const deployed: string | undefined = fake.deployedRef()
  void [runs, deployed]
  const custom = new LookerClient({ baseUrl: fake.baseUrl, credentials: async () => ({ clientId: 'a', clientSecret: 'b' }) })
  void [source, custom]
  const native: NativeClient | undefined = undefined
  try {
    await client.request('GET', '/nope')
  } catch (error) {
    if (error instanceof LookerCIError && error.code === 'LOOKER_CI_API') {
      const status: number | undefined = error.status
      void status
    }
  }
  void [me, raw, session.workspace_id, stats, native]
  fake.stop()
}

export async function gate(): Promise<void> {
  const fake = await FakeLooker.start()
  await using client = new LookerClient(fake.clientOptions())
  // The world controls: projects as data, faults, permissions, the warehouse.
  const project: FakeProject = fake.project()
  const views: string[] = (project.views ?? []).map((v) => v.name ?? '')
  const sha: string = fake.addCommit({ ...project, lookml_errors: [{ message: 'Unknown view', line: 3 }] })
  fake.setProject(project)
  fake.createBranch('feature', { name: 'thelook', models: [{ name: 'thelook', explores: [{ name: 'users' }] }] })
  // @ts-expect-error `modles` is not a key of FakeProject
  fake.setProject({ modles: [] })
  const branches: string[] = fake.branches()
  const checkedOut: string | undefined = fake.checkedOutBranch(1)
  const onFeature: FakeProject | undefined = fake.branchProject('feature')
  const broken: string = fake.breakField('main', 'orders.status', 'ERROR: column orders.status does not exist')
  fake.breakJoin('main', 'thelook', 'orders', 'users', 'missing FROM-clause entry')
  fake.breakTable('main', 'users', 'relation "users" does not exist')
  fake.makeAmbiguous('main', 'orders.id', 'users')
  fake.slowField('main', 'orders.id', 1.5)
  fake.removeField('main', 'users.email')
  fake.setUserPermissions('1', ['access_data', 'develop'])
  fake.setQueryConcurrencyLimit(15)
  fake.setQueryDuration(0.1)
  fake.setApiLatency(0, 0.01)
  const counters: WarehouseCounters = fake.warehouseCounters()
  const run: number = counters.queriesRun + counters.maxRunningPerUser
  fake.resetWarehouseCounters()

  // validate() and its result.
  const options: ValidateOptions = { project: 'thelook', commit: sha, explores: ['thelook/*'], queryTimeout: 60 }
  const result: ValidationResult = await client.validate('sql', options)
  const passed: boolean = result.passed
  const finding: Finding | undefined = result.findings[0]
  const where: string | undefined = finding?.field ?? finding?.file
  const line: number | undefined = finding?.line
  const queries: number = result.counts.queries_run
  const refKind: 'production' | 'branch' | 'commit' = result.ref.kind
  const statuses: string[] = (result.explores ?? []).map((e) => e.status)
  // @ts-expect-error options are camelCase
  await client.validate('sql', { project: 'thelook', query_timeout: 60 })
  // @ts-expect-error not a validator
  await client.validate('sqll', { project: 'thelook' })
  const cancellable = await client.validate('sql', { ...options, signal: AbortSignal.timeout(60_000) })
  const imports: string[] = (cancellable.ref.imports ?? []).map((i) => `${i.project}@${i.name}`)
  // @ts-expect-error a signal is an AbortSignal
  await client.validate('sql', { project: 'thelook', signal: 'soon' })
  await client.validate('sql', { project: 'thelook', commit: sha, importRefs: { shared: 'main' }, pathPrefix: 'looker/' })
  fake.addProject({ name: 'shared', views: [] })
  const sharedBranches: string[] = fake.projectBranches('shared')
  const junit: string = renderReport(result, 'junit')
  // @ts-expect-error not a report format
  renderReport(result, 'html')
  await client.deploy({ project: 'thelook', branch: 'feature' })
  const plan: Record<string, unknown> = await client.runSchedule(101)
  const datagroup: Record<string, unknown> = await client.triggerDatagroup('thelook', 'orders_etl')
  void [views, branches, checkedOut, onFeature, broken, run, passed, where, line, queries, refKind, statuses]
  void [junit, plan, datagroup]
  fake.stop()
}
