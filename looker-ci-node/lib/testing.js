'use strict'

const { inspect } = require('node:util')
const native = require('./native')
const { callAsync, callSync } = require('./errors')

const asyncDispose = Symbol.asyncDispose ?? Symbol.for('nodejs.asyncDispose')

/**
 * FakeLooker: a stateful Looker emulator on 127.0.0.1 (random port) for tests and demos.
 * Start it with `await FakeLooker.start()`; stop it with `stop()`.
 */
class FakeLooker {
  #native

  constructor(handle) {
    if (!handle) throw new TypeError('use `await FakeLooker.start()`')
    this.#native = handle
  }

  static async start() {
    return new FakeLooker(await callAsync(() => native.startFakeLooker()))
  }

  get baseUrl() {
    return this.#native.baseUrl
  }

  get clientId() {
    return this.#native.clientId
  }

  /** The fake's own random test secret. */
  get clientSecret() {
    return this.#native.clientSecret
  }

  /** `LOOKERSDK_*` variables pointing at this server. */
  env() {
    return {
      LOOKERSDK_BASE_URL: this.baseUrl,
      LOOKERSDK_CLIENT_ID: this.clientId,
      LOOKERSDK_CLIENT_SECRET: this.clientSecret,
    }
  }

  /** Options for `new LookerClient(...)` pointing at this server. */
  clientOptions() {
    return { baseUrl: this.baseUrl, clientId: this.clientId, clientSecret: this.clientSecret }
  }

  /** Accept this API key instead of the fake's random one. */
  setApiKey(clientId, clientSecret) {
    this.#native.setApiKey(clientId, clientSecret)
  }

  setTokenLifetime(seconds) {
    callSync(() => this.#native.setTokenLifetime(seconds))
  }

  /** Report `value` as `expires_in`; `undefined` omits the field. */
  setReportedExpiresIn(value) {
    this.#native.setReportedExpiresIn(value)
  }

  reportActualExpiresIn() {
    this.#native.reportActualExpiresIn()
  }

  revokeAllTokens() {
    this.#native.revokeAllTokens()
  }

  addUser(userId, firstName, lastName) {
    this.#native.addUser(String(userId), firstName, lastName)
  }

  /** Apply a fault ({status, retryAfter, delay, dropConnection, count}) to the next requests. */
  injectFault(fault) {
    callSync(() => this.#native.injectFault(fault))
  }

  clearFaults() {
    this.#native.clearFaults()
  }

  pendingFaults() {
    return this.#native.pendingFaults()
  }

  counters() {
    return this.#native.counters()
  }

  resetCounters() {
    this.#native.resetCounters()
  }

  liveTokens() {
    return this.#native.liveTokens()
  }

  /** Every token issued so far (to check that none leaked into output). */
  issuedTokens() {
    return this.#native.issuedTokens()
  }

  lastHeader(name) {
    return this.#native.lastHeader(name) ?? undefined
  }

  // The small Looker world behind the everyday CI calls: project and model `thelook` (explores
  // `orders` and `users`), datagroups `orders_etl` and `daily`.

  /** Make `validateProject({ project_id: 'thelook' })` report this LookML error. */
  addLookmlError(message) {
    this.#native.addLookmlError(message)
  }

  /** Make data test `orders_have_ids` or `users_are_unique` fail. */
  failLookmlTest(test) {
    this.#native.failLookmlTest(test)
  }

  /** Make `contentValidation()` report a broken Look with this title. */
  breakContent(title) {
    this.#native.breakContent(title)
  }

  /** The ref or branch last deployed to production. */
  deployedRef() {
    return this.#native.deployedRef() ?? undefined
  }

  /** Every scheduled plan run once so far, as sent, with the id the fake gave it. */
  scheduledPlanRuns() {
    return this.#native.scheduledPlanRuns()
  }

  /** Datagroup `orders_etl` or `daily` as `GET /datagroups/{id}` shows it. */
  datagroup(name) {
    return this.#native.datagroup(name) ?? undefined
  }

  // The LookML world the CI gate runs against (docs/testing.md): a `FakeProject` as a plain
  // object (snake_case keys, unknown keys refused), git branches and commits, faults, users'
  // permissions and the warehouse. Branch `'main'` is production. A bad name throws a
  // `LookerCIError` with code `LOOKER_CI_INVALID_ARGUMENT`.

  /** Make `project` production's code (a new commit on `main`); returns its sha. */
  setProject(project) {
    return callSync(() => this.#native.setProject(project))
  }

  /** Production's project. */
  project() {
    return this.#native.project()
  }

  /** The project at the head of `branch`, or `undefined` if there is no such branch. */
  branchProject(branch) {
    return this.#native.branchProject(branch) ?? undefined
  }

  /** Point branch `name` at a new commit holding `project`; returns its sha. */
  createBranch(name, project) {
    return callSync(() => this.#native.createBranch(name, project))
  }

  /** Store a commit holding `project` on no branch; returns its sha. */
  addCommit(project) {
    return callSync(() => this.#native.addCommit(project))
  }

  /** Every branch name, sorted (temporary branches included while they exist). */
  branches() {
    return this.#native.branches()
  }

  /** The branch `userId` has checked out in the dev workspace, if any. */
  checkedOutBranch(userId) {
    return this.#native.checkedOutBranch(String(userId)) ?? undefined
  }

  /** On `branch`, make `field` (`view.field`) fail with this database message. */
  breakField(branch, field, message) {
    return callSync(() => this.#native.breakField(branch, field, message))
  }

  /** On `branch`, make the join of `view` into `model`'s `explore` fail with `message`. */
  breakJoin(branch, model, explore, view, message) {
    return callSync(() => this.#native.breakJoin(branch, model, explore, view, message))
  }

  /** On `branch`, make `view`'s table missing (every query with it fails with `message`). */
  breakTable(branch, view, message) {
    return callSync(() => this.#native.breakTable(branch, view, message))
  }

  /** On `branch`, make `field` ambiguous whenever `otherView` is in the same query. */
  makeAmbiguous(branch, field, otherView) {
    return callSync(() => this.#native.makeAmbiguous(branch, field, otherView))
  }

  /** On `branch`, make every query selecting `field` run `seconds` longer. */
  slowField(branch, field, seconds) {
    return callSync(() => this.#native.slowField(branch, field, seconds))
  }

  /** On `branch`, delete `field` (content using it stops validating there). */
  removeField(branch, field) {
    return callSync(() => this.#native.removeField(branch, field))
  }

  /** Give `userId` exactly these permissions (`develop` and `deploy` are enforced). */
  setUserPermissions(userId, permissions) {
    this.#native.setUserPermissions(String(userId), [...permissions])
  }

  /**
   * Give `userId` exactly these roles, each `{ name, permissions, models }` (`models` left out
   * or null: every model; the name `'Admin'`: Looker's built-in Admin role). The API key logs in
   * as user 1.
   */
  setUserRoles(userId, roles) {
    const specs = [...roles].map((role) => {
      const unknown = Object.keys(role ?? {}).filter((k) => !['name', 'permissions', 'models'].includes(k))
      if (typeof role?.name !== 'string' || unknown.length > 0) {
        throw new TypeError(
          `a role is { name, permissions, models }; got keys ${JSON.stringify(Object.keys(role ?? {}))}`,
        )
      }
      return {
        name: role.name,
        permissions: [...(role.permissions ?? [])].map(String),
        models: role.models == null ? undefined : [...role.models].map(String),
      }
    })
    this.#native.setUserRoles(String(userId), specs)
  }

  /** Every distinct `User-Agent` FakeLooker has seen, in order. */
  userAgents() {
    return this.#native.userAgents()
  }

  /** Query tasks one user may run at once (Looker's default: 15). */
  setQueryConcurrencyLimit(limit) {
    this.#native.setQueryConcurrencyLimit(limit)
  }

  /** How long every query task runs, in seconds (default 0). */
  setQueryDuration(seconds) {
    callSync(() => this.#native.setQueryDuration(seconds))
  }

  /** Delay every request by a random time between `minSeconds` and `maxSeconds`. */
  setApiLatency(minSeconds, maxSeconds) {
    callSync(() => this.#native.setApiLatency(minSeconds, maxSeconds))
  }

  /** What the warehouse did: queries run, cancelled, created, the most running at once. */
  warehouseCounters() {
    return this.#native.warehouseCounters()
  }

  resetWarehouseCounters() {
    this.#native.resetWarehouseCounters()
  }

  stop() {
    this.#native.stop()
  }

  async [asyncDispose]() {
    this.stop()
  }

  [inspect.custom]() {
    return `FakeLooker { baseUrl: ${inspect(this.baseUrl)} }`
  }
}

module.exports = { FakeLooker }
