// Compile-only check that the hand-written facade types and the generated native types hold
// together (run by `npm run typecheck`).
import { LookerClient, LookerCIError, type ClientStats } from 'looker-ci'
import { FakeLooker } from 'looker-ci/testing'
import type { NativeClient } from '../native'

export async function example(): Promise<void> {
  const fake = await FakeLooker.start()
  await using client = new LookerClient({ ...fake.clientOptions(), timeout: 5 })
  const me: Record<string, unknown> = await client.me()
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
