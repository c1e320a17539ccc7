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
