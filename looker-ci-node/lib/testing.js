'use strict'

const { inspect } = require('node:util')
const native = require('./native')
const { callAsync, callSync } = require('./errors')
const { fromConversionError, invalid, suggestion, typeName, userIdOf } = require('./options')

const asyncDispose = Symbol.asyncDispose ?? Symbol.for('nodejs.asyncDispose')

/** The options of `injectFault(fault)` and their kinds (`KINDS`). */
const FAULT_OPTIONS = {
  status: 'status',
  retryAfter: 'retryAfter',
  delay: 'seconds',
  dropConnection: 'boolean',
  count: 'count',
}

// The controls check their arguments as the client checks its options: a wrong type, an unknown
// option or a bad user id is a `LookerCIError` with code `LOOKER_CI_INVALID_ARGUMENT` naming the
// argument, never napi's bare conversion error or a silently converted value.

const KINDS = {
  string: [(v) => typeof v === 'string', 'a string'],
  boolean: [(v) => typeof v === 'boolean', 'a boolean (true or false)'],
  status: [(v) => Number.isInteger(v) && v >= 100 && v <= 599, 'an HTTP status (100-599)'],
  retryAfter: [(v) => typeof v === 'string' || typeof v === 'number', 'seconds or an HTTP date'],
  seconds: [(v) => typeof v === 'number' && !Number.isNaN(v), 'a number of seconds'],
  count: [(v) => Number.isSafeInteger(v) && v >= 0, 'a non-negative integer'],
  strings: [(v) => Array.isArray(v) && v.every((s) => typeof s === 'string'), 'an array of strings'],
  object: [(v) => typeof v === 'object' && v !== null && !Array.isArray(v), 'an object'],
}

/** Check `[name, kind, value]` triples; `what` names the control in messages. */
function checkArgs(what, ...args) {
  for (const [name, kind, value] of args) {
    const [ok, expected] = KINDS[kind]
    if (!ok(value)) throw invalid(name, `${what} expects ${expected}, got ${typeName(value)}`)
  }
}

/** Call the addon; its errors become LookerCIErrors (napi's conversion errors naming `what`). */
function call(what, fn) {
  try {
    return callSync(fn)
  } catch (error) {
    throw fromConversionError(error, what)
  }
}

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
    checkArgs('setApiKey()', ['clientId', 'string', clientId], ['clientSecret', 'string', clientSecret])
    this.#native.setApiKey(clientId, clientSecret)
  }

  setTokenLifetime(seconds) {
    checkArgs('setTokenLifetime()', ['seconds', 'seconds', seconds])
    call('setTokenLifetime()', () => this.#native.setTokenLifetime(seconds))
  }

  /** Report `value` as `expires_in`; `undefined` omits the field. */
  setReportedExpiresIn(value) {
    call('setReportedExpiresIn()', () => this.#native.setReportedExpiresIn(value))
  }

  reportActualExpiresIn() {
    this.#native.reportActualExpiresIn()
  }

  revokeAllTokens() {
    this.#native.revokeAllTokens()
  }

  /** Add a user sudo can act as; `userId` is a string or an integer. */
  addUser(userId, firstName, lastName) {
    const id = userIdOf(userId, 'addUser()')
    checkArgs('addUser()', ['firstName', 'string', firstName], ['lastName', 'string', lastName])
    this.#native.addUser(id, firstName, lastName)
  }

  /**
   * Apply a fault ({ status, retryAfter, delay, dropConnection, count }) to the next requests.
   * Unknown keys (`retry_after`) are refused with the camelCase name suggested.
   */
  injectFault(fault) {
    if (typeof fault !== 'object' || fault === null || Array.isArray(fault)) {
      throw invalid('fault', `injectFault() takes an object such as { status: 503, count: 2 }, got ${typeName(fault)}`)
    }
    const names = Object.keys(FAULT_OPTIONS)
    const options = {}
    for (const [key, value] of Object.entries(fault)) {
      const kind = FAULT_OPTIONS[key]
      if (kind === undefined) {
        throw invalid(key, `not an option of injectFault()${suggestion(key, names)}; options: ${names.join(', ')}`)
      }
      if (value === undefined || value === null) continue
      checkArgs('injectFault()', [key, kind, value])
      options[key] = key === 'retryAfter' ? String(value) : value
    }
    call('injectFault()', () => this.#native.injectFault(options))
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
    checkArgs('lastHeader()', ['name', 'string', name])
    return this.#native.lastHeader(name) ?? undefined
  }

  // The small Looker world behind the everyday CI calls: project and model `thelook` (explores
  // `orders` and `users`), datagroups `orders_etl` and `daily`.

  /** Make `validateProject({ project_id: 'thelook' })` report this LookML error. */
  addLookmlError(message) {
    checkArgs('addLookmlError()', ['message', 'string', message])
    this.#native.addLookmlError(message)
  }

  /**
   * Make production's data test `test` (`orders_have_ids`, `users_are_unique`) fail; returns the
   * new sha. An unknown test throws, naming the known ones.
   */
  failLookmlTest(test) {
    checkArgs('failLookmlTest()', ['test', 'string', test])
    return call('failLookmlTest()', () => this.#native.failLookmlTest(test))
  }

  /** Make `contentValidation()` report a broken Look with this title. */
  breakContent(title) {
    checkArgs('breakContent()', ['title', 'string', title])
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
    checkArgs('datagroup()', ['name', 'string', name])
    return this.#native.datagroup(name) ?? undefined
  }

  // The LookML world the CI gate runs against (docs/testing.md): a `FakeProject` as a plain
  // object (snake_case keys, unknown keys refused), git branches and commits, faults, users'
  // permissions and the warehouse. Branch `'main'` is production. A bad name throws a
  // `LookerCIError` with code `LOOKER_CI_INVALID_ARGUMENT`.

  /** Make `project` production's code (a new commit on `main`); returns its sha. */
  setProject(project) {
    checkArgs('setProject()', ['project', 'object', project])
    return call('setProject()', () => this.#native.setProject(project))
  }

  /** Production's project. */
  project() {
    return this.#native.project()
  }

  /** The project at the head of `branch`, or `undefined` if there is no such branch. */
  branchProject(branch) {
    checkArgs('branchProject()', ['branch', 'string', branch])
    return this.#native.branchProject(branch) ?? undefined
  }

  /** Point branch `name` at a new commit holding `project`; returns its sha. */
  createBranch(name, project) {
    checkArgs('createBranch()', ['name', 'string', name], ['project', 'object', project])
    return call('createBranch()', () => this.#native.createBranch(name, project))
  }

  /** Store a commit holding `project` on no branch; returns its sha. */
  addCommit(project) {
    checkArgs('addCommit()', ['project', 'object', project])
    return call('addCommit()', () => this.#native.addCommit(project))
  }

  /** Every branch name, sorted (temporary branches included while they exist). */
  branches() {
    return this.#native.branches()
  }

  /** The branch `userId` has checked out in the dev workspace, if any. */
  checkedOutBranch(userId) {
    return this.#native.checkedOutBranch(userIdOf(userId, 'checkedOutBranch()')) ?? undefined
  }

  /**
   * Add another project to the instance (one the main project imports: list it in the main
   * project's `imports` as `{ name: id }`), or give it a new production commit; returns the sha.
   */
  addProject(project) {
    checkArgs('addProject()', ['project', 'object', project])
    return call('addProject()', () => this.#native.addProject(project))
  }

  /** Point `branch` of the other project `projectId` at a new commit holding `project`. */
  createProjectBranch(projectId, branch, project) {
    checkArgs(
      'createProjectBranch()',
      ['projectId', 'string', projectId],
      ['branch', 'string', branch],
      ['project', 'object', project],
    )
    return call('createProjectBranch()', () => this.#native.createProjectBranch(projectId, branch, project))
  }

  /** The branch names of the other project `projectId`, sorted. */
  projectBranches(projectId) {
    checkArgs('projectBranches()', ['projectId', 'string', projectId])
    return this.#native.projectBranches(projectId)
  }

  /** The branch `userId` has checked out of the other project `projectId`, if any. */
  projectCheckedOutBranch(projectId, userId) {
    checkArgs('projectCheckedOutBranch()', ['projectId', 'string', projectId])
    const id = userIdOf(userId, 'projectCheckedOutBranch()')
    return this.#native.projectCheckedOutBranch(projectId, id) ?? undefined
  }

  /** On `branch`, make `field` (`view.field`) fail with this database message. */
  breakField(branch, field, message) {
    checkArgs('breakField()', ['branch', 'string', branch], ['field', 'string', field], ['message', 'string', message])
    return call('breakField()', () => this.#native.breakField(branch, field, message))
  }

  /** On `branch`, make the join of `view` into `model`'s `explore` fail with `message`. */
  breakJoin(branch, model, explore, view, message) {
    checkArgs(
      'breakJoin()',
      ['branch', 'string', branch],
      ['model', 'string', model],
      ['explore', 'string', explore],
      ['view', 'string', view],
      ['message', 'string', message],
    )
    return call('breakJoin()', () => this.#native.breakJoin(branch, model, explore, view, message))
  }

  /** On `branch`, make `view`'s table missing (every query with it fails with `message`). */
  breakTable(branch, view, message) {
    checkArgs('breakTable()', ['branch', 'string', branch], ['view', 'string', view], ['message', 'string', message])
    return call('breakTable()', () => this.#native.breakTable(branch, view, message))
  }

  /** On `branch`, make `field` ambiguous whenever `otherView` is in the same query. */
  makeAmbiguous(branch, field, otherView) {
    checkArgs(
      'makeAmbiguous()',
      ['branch', 'string', branch],
      ['field', 'string', field],
      ['otherView', 'string', otherView],
    )
    return call('makeAmbiguous()', () => this.#native.makeAmbiguous(branch, field, otherView))
  }

  /** On `branch`, make every query selecting `field` run `seconds` longer. */
  slowField(branch, field, seconds) {
    checkArgs('slowField()', ['branch', 'string', branch], ['field', 'string', field], ['seconds', 'seconds', seconds])
    return call('slowField()', () => this.#native.slowField(branch, field, seconds))
  }

  /** On `branch`, delete `field` (content using it stops validating there). */
  removeField(branch, field) {
    checkArgs('removeField()', ['branch', 'string', branch], ['field', 'string', field])
    return call('removeField()', () => this.#native.removeField(branch, field))
  }

  /** Give `userId` exactly these permissions (`develop` and `deploy` are enforced). */
  setUserPermissions(userId, permissions) {
    const id = userIdOf(userId, 'setUserPermissions()')
    checkArgs('setUserPermissions()', ['permissions', 'strings', permissions])
    this.#native.setUserPermissions(id, [...permissions])
  }

  /**
   * Give `userId` exactly these roles, each `{ name, permissions, models }` (`models` left out
   * or null: every model; the name `'Admin'`: Looker's built-in Admin role). The API key logs in
   * as user 1.
   */
  setUserRoles(userId, roles) {
    const id = userIdOf(userId, 'setUserRoles()')
    if (!Array.isArray(roles)) throw invalid('roles', `setUserRoles() expects an array of roles, got ${typeName(roles)}`)
    const specs = roles.map((role) => {
      const unknown = Object.keys(role ?? {}).filter((k) => !['name', 'permissions', 'models'].includes(k))
      if (typeof role?.name !== 'string' || unknown.length > 0) {
        throw invalid(
          'roles',
          `a role is { name, permissions, models }; got keys ${JSON.stringify(Object.keys(role ?? {}))}`,
        )
      }
      return {
        name: role.name,
        permissions: [...(role.permissions ?? [])].map(String),
        models: role.models == null ? undefined : [...role.models].map(String),
      }
    })
    call('setUserRoles()', () => this.#native.setUserRoles(id, specs))
  }

  /** Every distinct `User-Agent` FakeLooker has seen, in order. */
  userAgents() {
    return this.#native.userAgents()
  }

  /** Query tasks one user may run at once (Looker's default: 15). */
  setQueryConcurrencyLimit(limit) {
    checkArgs('setQueryConcurrencyLimit()', ['limit', 'count', limit])
    this.#native.setQueryConcurrencyLimit(limit)
  }

  /** How long every query task runs, in seconds (default 0). */
  setQueryDuration(seconds) {
    checkArgs('setQueryDuration()', ['seconds', 'seconds', seconds])
    call('setQueryDuration()', () => this.#native.setQueryDuration(seconds))
  }

  /**
   * Start every query result's `errors` with Looker's Development Mode note (a passing query then
   * comes back as an `error` whose only entry is the note), as Looker does for derived tables
   * with conditional SQL for Development Mode.
   */
  setDevModeNote(on) {
    checkArgs('setDevModeNote()', ['on', 'boolean', on])
    this.#native.setDevModeNote(on)
  }

  /**
   * Show each finished query task as `expired` in its first `polls` polls of `multi_results`
   * (Looker does so briefly); `2 ** 32 - 1`: for good; 0: off.
   */
  setExpiredPolls(polls) {
    checkArgs('setExpiredPolls()', ['polls', 'count', polls])
    this.#native.setExpiredPolls(Math.min(polls, 2 ** 32 - 1))
  }

  /** Report every finished query task as `killed`, as when an admin or the database kills queries. */
  setQueriesKilled(on) {
    checkArgs('setQueriesKilled()', ['on', 'boolean', on])
    this.#native.setQueriesKilled(on)
  }

  /** How long a LookML validation, a content validation and a data test run take to answer, in seconds (default 0). */
  setValidationDuration(seconds) {
    checkArgs('setValidationDuration()', ['seconds', 'seconds', seconds])
    call('setValidationDuration()', () => this.#native.setValidationDuration(seconds))
  }

  /**
   * Make `userId`'s own copy of `branch` lag behind it at commit `sha` (Looker keeps a copy per
   * user and pulls only when asked): checking the branch out gives that user the older code.
   */
  setStaleCopy(userId, branch, sha) {
    const id = userIdOf(userId, 'setStaleCopy()')
    checkArgs('setStaleCopy()', ['branch', 'string', branch], ['sha', 'string', sha])
    call('setStaleCopy()', () => this.#native.setStaleCopy(id, branch, sha))
  }

  /** Make checking out the production branch in the dev workspace give the user's personal branch instead, as Looker does. */
  setProductionCheckoutGivesPersonal(on) {
    checkArgs('setProductionCheckoutGivesPersonal()', ['on', 'boolean', on])
    this.#native.setProductionCheckoutGivesPersonal(on)
  }

  /** Delay every request by a random time between `minSeconds` and `maxSeconds`. */
  setApiLatency(minSeconds, maxSeconds) {
    checkArgs('setApiLatency()', ['minSeconds', 'seconds', minSeconds], ['maxSeconds', 'seconds', maxSeconds])
    call('setApiLatency()', () => this.#native.setApiLatency(minSeconds, maxSeconds))
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
