// Types of the CI gate: what `LookerClient.validate` takes and returns (the documented JSON
// document of docs/ci.md, keys in snake_case as written by `looker-ci --json`).

export type Validator = 'lookml' | 'sql' | 'assert' | 'content'
export type Severity = 'info' | 'warning' | 'error' | 'fatal'
export type ReportFormat = 'json' | 'junit' | 'codequality' | 'github' | 'markdown' | 'text'

/** Options of `validate`; `project` is required. Unknown keys are refused. */
export interface ValidateOptions {
  project: string
  /** Validate this dev branch. */
  branch?: string
  /** Validate this commit, on a temporary branch that is always removed. */
  commit?: string
  /** `model/explore`, `*` wildcards, `-model/explore` excludes. */
  explores?: string[]
  /** Queries at once (Looker's per-user limit is 15 by default). */
  concurrency?: number
  /** Seconds before a query is cancelled in Looker and reported. */
  queryTimeout?: number
  failFast?: boolean
  skipHidden?: boolean
  dimensionsOnly?: boolean
  chunkSize?: number
  pollInterval?: number
  /** `I/N`: run part I of N. */
  shard?: string
  /**
   * Path of an earlier SQL run's `--json` document: with `shard`, each explore's time there is
   * its estimated cost. Every job of a run must read the same file.
   */
  shardTimings?: string
  severity?: Severity
  folders?: string[]
  excludeFolders?: string[]
  excludePersonal?: boolean
  /** Report only findings not on this ref too (`production` or a branch; content). */
  incremental?: string
  /**
   * Pin imported projects while a branch or commit is validated: project id -> ref (branch,
   * tag or commit). Unpinned, a local import follows the validated branch's name (for a commit,
   * the merge request's source branch) when it has that branch, else its production branch.
   */
  importRefs?: Record<string, string>
  /**
   * The Looker project's directory in the repository (`looker/`): `renderReport` puts it before
   * file paths in Code Quality, JUnit and GitHub annotations, as GitLab and GitHub link them.
   */
  pathPrefix?: string
}

export interface Finding {
  severity: Severity
  scope: 'lookml' | 'field' | 'join' | 'explore' | 'test' | 'content'
  message: string
  model?: string
  explore?: string
  field?: string
  /** The smallest failing set (explore scope) or the joined view's fields (join scope). */
  fields?: string[]
  view?: string
  file?: string
  line?: number
  sql?: string
  test?: string
  content_type?: string
  content_id?: string
  title?: string
  folder?: string
  /** The dashboard a tile, dashboard filter, schedule or alert belongs to (content). */
  dashboard_id?: string
  dashboard_title?: string
  url?: string
}

export interface Counts {
  explores_checked: number
  fields_checked: number
  queries_run: number
  queries_cancelled: number
  tests_run: number
  content_checked: number
  api_requests: number
  findings: number
  findings_existing_on_target: number
  seconds: number
}

export interface CheckedExplore {
  model: string
  explore: string
  status: 'passed' | 'failed' | 'skipped' | 'timed_out' | 'unchecked'
  fields: number
  queries: number
  /** Wall time of its check (waits for a query slot included). */
  seconds: number
  /** Its queries' time in Looker, summed; absent when no query ran. */
  query_seconds?: number
}

/** An imported project's code during the validation. */
export interface ImportedRef {
  project: string
  kind: 'branch' | 'production' | 'ref' | 'remote'
  name: string
  commit?: string
}

export interface ValidationResult {
  format_version: number
  validator: Validator
  project: string
  ref: {
    kind: 'production' | 'branch' | 'commit'
    name: string
    commit?: string
    /** The projects the validated code imports and which of their code it saw. */
    imports?: ImportedRef[]
  }
  passed: boolean
  findings: Finding[]
  counts: Counts
  explores?: CheckedExplore[]
  shard?: { index: number; total: number }
  /** A sharded run's split, as a digest: the same in every shard of one run. */
  split?: string
  incremental_target?: string
  /** The Looker project's directory in the repository, as given with `pathPrefix`. */
  path_prefix?: string
}

/** Render a result as JSON, JUnit XML, GitLab Code Quality, GitHub annotations, Markdown or text. */
export declare function renderReport(result: ValidationResult, format: ReportFormat): string
