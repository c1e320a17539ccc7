export interface Fault {
  /** Answer with this status instead of handling the request. */
  status?: number
  /** `Retry-After` value sent with `status`. */
  retryAfter?: string
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
  /** Make data test `orders_have_ids` or `users_are_unique` fail. */
  failLookmlTest(test: string): void
  /** Make `contentValidation()` report a broken Look with this title. */
  breakContent(title: string): void
  /** The ref or branch last deployed to production. */
  deployedRef(): string | undefined
  /** Every scheduled plan run once so far, as sent, with the id the fake gave it. */
  scheduledPlanRuns(): Array<Record<string, unknown>>
  /** Datagroup `orders_etl` or `daily` as `GET /datagroups/{id}` shows it. */
  datagroup(name: string): Record<string, unknown> | undefined
  stop(): void
  [Symbol.asyncDispose](): Promise<void>
}
