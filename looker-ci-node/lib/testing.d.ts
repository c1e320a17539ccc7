export interface Fault {
  /** Answer with this status instead of handling the request. */
  status?: number
  /** `Retry-After` value sent with `status` (seconds or an HTTP date). */
  retryAfter?: string | number
  /** Seconds to wait before answering (or dropping). */
  delay?: number
  /** Close the connection without answering. */
  dropConnection?: boolean
  /** How many of the next requests get this fault (default 1). */
  count?: number
}

export interface FakeCounters {
  logins: number
  sudoLogins: number
  failedLogins: number
  logouts: number
  requests: number
  unauthorized: number
  meCalls: number
}

export interface WarehouseCounters {
  /** Queries the warehouse ran (query tasks started, synchronous runs, data tests). */
  queriesRun: number
  /** Query tasks killed with `DELETE /running_queries/{id}`. */
  queriesCancelled: number
  queryTasksCreated: number
  queriesCreated: number
  /** The most query tasks running at once, all users together. */
  maxRunning: number
  /** The most query tasks running at once for any one user. */
  maxRunningPerUser: number
  /** Query tasks running now. */
  running: number
}

// The LookML project FakeLooker serves, as JSON (snake_case keys as in Rust's `FakeProject`).
// Every key may be left out (it takes its default); unknown keys are refused.

export interface FakeProject {
  /** The project id (`/projects/{name}`); default `thelook`. */
  name?: string
  models?: FakeModel[]
  views?: FakeView[]
  lookml_errors?: FakeLookmlError[]
  data_tests?: FakeDataTest[]
  folders?: FakeFolder[]
  looks?: FakeLook[]
  dashboards?: FakeDashboard[]
  /** The manifest's imports: `{ name }` a local_dependency, with `url` and `ref` a remote one. */
  imports?: Array<{ name?: string; url?: string; ref?: string }>
}

export interface FakeModel {
  name?: string
  label?: string
  connection?: string
  file?: string
  explores?: FakeExplore[]
}

export interface FakeExplore {
  name?: string
  /** The base view; the explore's name when absent. */
  view_name?: string
  label?: string
  description?: string
  hidden?: boolean
  tags?: string[]
  joins?: FakeJoin[]
  file?: string
  line?: number
}

export interface FakeJoin {
  /** The joined view. */
  name?: string
  sql_on?: string
  relationship?: string
  /** `left_outer` (default), `inner`, `full_outer` or `cross`. */
  type?: string
  /** The database message of every query that includes this join. */
  error?: string
}

export interface FakeView {
  name?: string
  sql_table_name?: string
  file?: string
  line?: number
  /** The table is missing: the database message of every query that includes this view. */
  error?: string
  rows?: number
  dimensions?: FakeField[]
  measures?: FakeField[]
}

export interface FakeField {
  /** `view.field`. */
  name?: string
  type?: string
  sql?: string
  label?: string
  description?: string
  hidden?: boolean
  primary_key?: boolean
  tags?: string[]
  file?: string
  line?: number
  /** The database message this field's SQL produces. */
  error?: string
  error_loc?: boolean
  /** The view whose presence in a query makes this field's column ambiguous. */
  ambiguous_with?: string
  slow_ms?: number
  values?: unknown[]
}

export interface FakeLookmlError {
  /** `info`, `warning`, `error` (default) or `fatal`. */
  severity?: string
  message?: string
  file?: string
  line?: number
  model?: string
  explore?: string
  field?: string
}

export interface FakeDataTest {
  name?: string
  model?: string
  explore?: string
  file?: string
  line?: number
  passes?: boolean
  message?: string
  fields?: string[]
}

export interface FakeFolder {
  id?: string
  name?: string
  parent_id?: string
  is_personal?: boolean
  creator_id?: string
}

export interface FakeLook {
  id?: string
  title?: string
  folder_id?: string
  model?: string
  explore?: string
  fields?: string[]
}

export interface FakeDashboard {
  id?: string
  title?: string
  folder_id?: string
  elements?: FakeDashboardElement[]
}

export interface FakeDashboardElement {
  id?: string
  title?: string
  model?: string
  explore?: string
  fields?: string[]
}

/** A stateful Looker emulator on 127.0.0.1 (random port). */
export declare class FakeLooker implements AsyncDisposable {
  static start(): Promise<FakeLooker>
  readonly baseUrl: string
  readonly clientId: string
  /** The fake's own random test secret. */
  readonly clientSecret: string
  env(): { LOOKERSDK_BASE_URL: string; LOOKERSDK_CLIENT_ID: string; LOOKERSDK_CLIENT_SECRET: string }
  clientOptions(): { baseUrl: string; clientId: string; clientSecret: string }
  setApiKey(clientId: string, clientSecret: string): void
  setTokenLifetime(seconds: number): void
  /** Report `value` as `expires_in`; `undefined` omits the field. */
  setReportedExpiresIn(value?: unknown): void
  reportActualExpiresIn(): void
  revokeAllTokens(): void
  addUser(userId: string | number, firstName: string, lastName: string): void
  injectFault(fault: Fault): void
  clearFaults(): void
  pendingFaults(): number
  counters(): FakeCounters
  resetCounters(): void
  liveTokens(): number
  issuedTokens(): string[]
  lastHeader(name: string): string | undefined
  /** Make `validateProject({ project_id: 'thelook' })` report this LookML error. */
  addLookmlError(message: string): void
  /** Make production's data test `orders_have_ids` or `users_are_unique` fail; returns the new sha (an unknown test throws, naming the known ones). */
  failLookmlTest(test: string): string
  /** Make `contentValidation()` report a broken Look with this title. */
  breakContent(title: string): void
  /** The ref or branch last deployed to production. */
  deployedRef(): string | undefined
  /** Every scheduled plan run once so far, as sent, with the id the fake gave it. */
  scheduledPlanRuns(): Array<Record<string, unknown>>
  /** Datagroup `orders_etl` or `daily` as `GET /datagroups/{id}` shows it. */
  datagroup(name: string): Record<string, unknown> | undefined
  /** Make `project` production's code (a new commit on `main`); returns its sha. */
  setProject(project: FakeProject): string
  /** Production's project. */
  project(): FakeProject
  /** The project at the head of `branch`, if the branch exists. */
  branchProject(branch: string): FakeProject | undefined
  /** Point branch `name` at a new commit holding `project`; returns its sha. */
  createBranch(name: string, project: FakeProject): string
  /** Store a commit holding `project` on no branch; returns its sha. */
  addCommit(project: FakeProject): string
  /** Every branch name, sorted. */
  branches(): string[]
  /** The branch `userId` has checked out in the dev workspace, if any. */
  checkedOutBranch(userId: string | number): string | undefined
  /**
   * Add another project to the instance, one the main project imports (list it in the main
   * project's `imports` as `{ name: id }`), or give it a new production commit; returns the sha.
   */
  addProject(project: FakeProject): string
  /** Point `branch` of the other project `projectId` at a new commit holding `project`. */
  createProjectBranch(projectId: string, branch: string, project: FakeProject): string
  /** The branch names of the other project `projectId`, sorted. */
  projectBranches(projectId: string): string[]
  /** The branch `userId` has checked out of the other project `projectId`, if any. */
  projectCheckedOutBranch(projectId: string, userId: string | number): string | undefined
  /** On `branch` (`'main'` is production), make `field` fail with this database message; returns the new sha. */
  breakField(branch: string, field: string, message: string): string
  breakJoin(branch: string, model: string, explore: string, view: string, message: string): string
  breakTable(branch: string, view: string, message: string): string
  makeAmbiguous(branch: string, field: string, otherView: string): string
  slowField(branch: string, field: string, seconds: number): string
  removeField(branch: string, field: string): string
  /** Give `userId` exactly these permissions (`develop` and `deploy` are enforced). */
  setUserPermissions(userId: string | number, permissions: readonly string[]): void
  /** Give `userId` exactly these roles (`models` null or left out: every model; `'Admin'`: the built-in Admin role). */
  setUserRoles(
    userId: string | number,
    roles: readonly { name: string; permissions?: readonly string[]; models?: readonly string[] | null }[],
  ): void
  /** Every distinct `User-Agent` FakeLooker has seen, in order. */
  userAgents(): string[]
  setQueryConcurrencyLimit(limit: number): void
  setQueryDuration(seconds: number): void
  /** Start every query result's `errors` with Looker's Development Mode note, as Looker does. */
  setDevModeNote(on: boolean): void
  /** Show each finished query task as `expired` in its first `polls` polls (`2 ** 32 - 1`: for good). */
  setExpiredPolls(polls: number): void
  /** Report every finished query task as `killed`, as when an admin or the database kills queries. */
  setQueriesKilled(on: boolean): void
  /** How long a LookML validation, a content validation and a data test run take to answer, in seconds. */
  setValidationDuration(seconds: number): void
  /** Make `userId`'s own copy of `branch` lag behind it at commit `sha`. */
  setStaleCopy(userId: string | number, branch: string, sha: string): void
  /** Make checking out the production branch in the dev workspace give the personal branch instead. */
  setProductionCheckoutGivesPersonal(on: boolean): void
  setApiLatency(minSeconds: number, maxSeconds: number): void
  warehouseCounters(): WarehouseCounters
  resetWarehouseCounters(): void
  stop(): void
  [Symbol.asyncDispose](): Promise<void>
}
