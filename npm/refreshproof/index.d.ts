// Types of the refreshproof JavaScript API and of the run record it
// returns (the JSON written by `refreshproof check --json-report`).

export type Provider = 'salesforce' | 'microsoft';
export type Strategy = 'on-401' | 'every-call' | 'before-expiry';
export type KeysPolicy = 'replace' | 'shallow' | 'deep';

export interface CheckOptions {
  /** The component directory (holding component.json). Default: the current directory. */
  dir?: string;
  provider?: Provider;
  /** The action or trigger to run, by its component.json name. */
  action?: string;
  strategy?: Strategy;
  /** A component description to use instead of DIR/refreshproof.yaml. */
  config?: string;
  /** Built-in scenario names or scenario files. Default: the provider's whole catalogue. */
  scenarios?: string | string[];
  /** A label filter, e.g. "rotation || refresh-rejected". */
  labelFilter?: string;
  /** Rules not to judge, by ID or name. */
  skip?: string | string[];
  credentialField?: string;
  clientIdEnv?: string | string[];
  clientSecretEnv?: string | string[];
  /** The default message body. */
  body?: Record<string, unknown>;
  /** Extra step configuration fields. */
  cfg?: Record<string, unknown>;
  keysPolicy?: KeysPolicy;
  /** Time limit per message: milliseconds, or a Go duration such as "10s". */
  timeout?: number | string;
  /** Scenarios run at once. Default: one per CPU. */
  parallel?: number;
  /** Keep tokens and secrets in traces. */
  reveal?: boolean;
  junitReport?: string;
  markdownReport?: string;
  htmlReport?: string;
  /** More arguments for `refreshproof check`. */
  args?: string[];
  /** Environment variables added to the process's. */
  env?: Record<string, string>;
  cwd?: string;
  /** Aborting it ends the check (the promise rejects with an AbortError). */
  signal?: AbortSignal;
  /** The executable to run instead of this platform's prebuilt one. */
  binary?: string;
  /** Called with each chunk the tool prints. */
  onOutput?: (chunk: string, stream: 'stdout' | 'stderr') => void;
}

export type Status = 'passed' | 'failed' | 'warned' | 'skipped' | 'expected-failure' | 'unexpected-pass';

export interface Result {
  ruleId: string;
  /** provider/name, e.g. "salesforce/rotation". */
  scenario: string;
  status: Status;
  /** What happened, the evidence and the fix, for failures and warnings. */
  message?: string;
  warnings?: string[];
  /** Journal sequence numbers of the exchanges that show the problem. */
  evidence?: number[];
  /** Why a rule was skipped, or why a failure is expected. */
  reason?: string;
  /** The first finding (or warning) in one sentence. */
  summary?: string;
  /** The rule whose failure on the same scenario this result follows from; empty on a root cause. */
  causedBy?: string;
  /** That failure's summary. */
  cause?: string;
  [field: string]: unknown;
}

export interface RuleInfo {
  id: string;
  name: string;
  summary: string;
  doc?: string;
  strategies?: Strategy[];
}

export interface RunRecord {
  version: number;
  tool: string;
  started: string;
  durationNs: number;
  component: {
    dir: string;
    name: string;
    version?: string;
    function: string;
    provider: Provider;
    strategy: Strategy;
    sailorVersion?: string;
  };
  rules: RuleInfo[];
  results: Result[];
  /** One per scenario run: every exchange, emitted event and the account's keys. */
  traces: unknown[];
  errors?: { scenario: string; error: string }[];
  /** Scenarios in which the component never presented a provider-issued token. */
  notExercised?: { scenario: string; error: string }[];
  strict?: boolean;
  /** 0: every applicable rule passed; 1: a rule failed. */
  exitCode: 0 | 1;
  stdout: string;
  stderr: string;
}

/** An Error from check when the run could not be made (exit 2). */
export interface CheckError extends Error {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `refreshproof check` and resolves to the run record, on exit 0 and
 * on exit 1 (see exitCode); rejects with a CheckError on exit 2.
 */
export function check(options?: CheckOptions): Promise<RunRecord>;

/** The results of a run that failed the gate. */
export function failures(run: RunRecord): Result[];

/** The executable check and the refreshproof command run. */
export function binaryPath(): string;
