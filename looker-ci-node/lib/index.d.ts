import type { ValidateOptions, ValidationResult, Validator } from './gate'
import type { LookerOperations } from './operations'
import type * as models from './models'

/** Settings of a client; every field is optional. Given values override `looker.ini` and
 * `LOOKERSDK_*`: `readEnv: true` reads `./looker.ini` and `LOOKERSDK_*`; `configFile` reads that
 * file (with or without `readEnv`). An unknown option (`base_url` for `baseUrl`) or a value of
 * the wrong type throws a `LookerCIError` with code `LOOKER_CI_INVALID_ARGUMENT`. */
export interface ClientOptions {
  baseUrl?: string
  clientId?: string
  /** Held only in the native core; never printed. */
  clientSecret?: string
  verifySsl?: boolean
  /** Total time for one request, in seconds. */
  timeout?: number
  caBundle?: string
  httpsProxy?: string
  /** Use the dev workspace; re-applied after every re-login. */
  devWorkspace?: boolean
  /** A looker.ini to read (it must exist). */
  configFile?: string
  /** The section of `configFile`, or of `./looker.ini` with `readEnv` (default: the first); a
   * section that does not exist is a `LOOKER_CI_CONFIG` error naming the file and its sections. */
  section?: string
  /** Read looker.ini and LOOKERSDK_*; without an API key, use the default credential chain. */
  readEnv?: boolean
  /** Called at every login for the API key (a custom credential provider). */
  credentials?: () => ApiKey | Promise<ApiKey>
  /** Variables of the environment contract laid over process.env for this client only. A
   * `LOOKERSDK_*` or `LOOKER_CI_*` name that looker-ci does not read is refused
   * (`LOOKER_CI_INVALID_ARGUMENT`, with the closest known name); other names are allowed. */
  env?: Record<string, string>
  /** Append the audit trail here: one JSON line per request, never a secret (docs/security.md).
   * With `readEnv`, `LOOKER_CI_AUDIT_FILE` does the same. */
  auditFile?: string
}

export interface ApiKey {
  clientId: string
  clientSecret: string
}

/** Which credential source a client uses and why. Never holds a secret. */
export interface CredentialReport {
  source: string
  detail: string
  /** `[source, reason]` for each source passed over. */
  skipped: string[][]
  /** The identity-aware proxy's header and where its token comes from, when one is sent. */
  proxy?: string | null
  summary: string
}

export interface FromEnvOptions {
  /** A looker.ini to read instead of `./looker.ini` (it must exist). */
  configFile?: string
  /** The section of the file read (default: the first); a section that does not exist is a
   * `LOOKER_CI_CONFIG` error naming the file and its sections. */
  section?: string
  /** Variables of the environment contract laid over process.env for this client only. A
   * `LOOKERSDK_*` or `LOOKER_CI_*` name that looker-ci does not read is refused
   * (`LOOKER_CI_INVALID_ARGUMENT`, with the closest known name); other names are allowed. */
  env?: Record<string, string>
}

export interface RequestOptions {
  /** Query parameters; arrays are joined with commas, `null`/`undefined` values are left out. */
  query?: Record<string, unknown>
  /** JSON body. */
  body?: unknown
  /** Resolve to a Buffer with the raw body instead of decoded JSON. */
  raw?: boolean
}

export interface ClientStats {
  logins: number
  requests: number
  reauthentications: number
}

/** Stable error codes, the same in Rust, Python and Node. */
export type LookerCIErrorCode =
  | 'LOOKER_CI_CONFIG'
  | 'LOOKER_CI_API'
  | 'LOOKER_CI_TIMEOUT'
  | 'LOOKER_CI_CONNECTION'
  | 'LOOKER_CI_DECODE'
  | 'LOOKER_CI_CREDENTIALS'
  | 'LOOKER_CI_INVALID_ARGUMENT'
  | 'LOOKER_CI_CLOSED'
  | 'LOOKER_CI_REDIRECT'
  | 'LOOKER_CI_INTERNAL'
  | 'LOOKER_CI_CANCELLED'
  | 'LOOKER_CI_INSTALL'

/** Every error looker-ci throws. No field ever holds a secret. */
export declare class LookerCIError extends Error {
  readonly code: LookerCIErrorCode
  /** HTTP status (API errors). */
  readonly status?: number
  readonly method?: string
  readonly path?: string
  /** Looker's own `message` (API errors). */
  readonly apiMessage?: string
  readonly documentationUrl?: string
  readonly requestId?: string
  /** Looker's per-field validation errors (HTTP 422). */
  readonly fieldErrors?: Array<{ field: string; code: string; message: string }>
  /** What the error means and what to do, where looker-ci knows more than Looker says. */
  readonly hint?: string
  /** Where a refused redirect pointed (redirect errors; never its query). */
  readonly location?: string
  /** The setting at fault and where its value came from (config errors). */
  readonly setting?: string
  readonly origin?: string
  readonly argument?: string
  readonly provider?: string
  readonly timeoutSecs?: number
}

/** Every operation of the API as a method (generated), merged into the class below. */
export interface LookerClient extends LookerOperations {}

/** A Looker API 4.0 client with a self-refreshing session. */
export declare class LookerClient implements AsyncDisposable {
  constructor(options?: ClientOptions)
  /** Settings from `./looker.ini` (or `configFile`) and `LOOKERSDK_*` variables. */
  static fromEnv(options?: FromEnvOptions): Promise<LookerClient>
  readonly baseUrl: string
  /**
   * The current user (`GET /user`, operation `me`), called as the generated methods are:
   * `me()` or `me({ fields: 'id,display_name' })`.
   */
  me(params?: { fields?: string }): Promise<models.User>
  request(method: string, path: string, options: RequestOptions & { raw: true }): Promise<Buffer>
  request<T = unknown>(method: string, path: string, options?: RequestOptions): Promise<T>
  /**
   * Run a validator of the CI gate; resolves to its result document (docs/ci.md). `signal`
   * cancels it: running queries are cancelled in Looker, the branch is restored and the
   * temporary branch removed, then the promise rejects with a `LookerCIError` of code
   * `LOOKER_CI_CANCELLED` (its `cause` is the signal's reason).
   */
  validate(
    validator: Validator,
    options: ValidateOptions & { signal?: AbortSignal },
  ): Promise<ValidationResult>
  /** Deploy the head of `branch`, or `commit`, of `project` to production. */
  deploy(target: { project: string; branch?: string; commit?: string }): Promise<void>
  /** Run a scheduled plan once now; resolves to the plan Looker ran. */
  runSchedule(planId: string | number): Promise<Record<string, unknown>>
  /** Mark a datagroup stale now so Looker rebuilds what depends on it. */
  triggerDatagroup(model: string, datagroup: string): Promise<Record<string, unknown>>
  /** A client acting as another user (sudo). */
  loginUser(userId: string | number): LookerClient
  stats(): ClientStats
  describe(): CredentialReport
  /** The identity behind the client and the CI run its requests name; never a secret. */
  identity(): Record<string, unknown> & { source: string; ci: Record<string, unknown> | null }
  /** `looker-ci doctor`: identity, stored secrets, privileges against `commands`, lifetimes. */
  doctor(commands?: readonly string[]): Promise<DoctorReport>
  /** Log out; later calls reject with code `LOOKER_CI_CLOSED`. */
  close(): Promise<void>
  [Symbol.asyncDispose](): Promise<void>
  toJSON(): { baseUrl: string }
}

/** One finding of `doctor()` (codes in docs/security.md). */
export interface DoctorFinding {
  area: 'identity' | 'secrets' | 'privilege' | 'lifetimes'
  level: 'note' | 'warning' | 'error'
  code: string
  message: string
  fix: string | null
}

/** The report of `doctor()` (`format_version` 1). */
export interface DoctorReport {
  format_version: number
  passed: boolean
  commands: string[]
  ci: Record<string, unknown> | null
  identity: Record<string, unknown>
  looker_user: {
    id: string
    roles: { name: string; permission_set: string; permissions: string[]; models: string[] | null }[]
  } | null
  findings: DoctorFinding[]
}

export declare const version: string

export type {
  CheckedExplore,
  Counts,
  Finding,
  ImportedRef,
  ReportFormat,
  Severity,
  ValidateOptions,
  ValidationResult,
  Validator,
} from './gate'
export { renderReport } from './gate'

