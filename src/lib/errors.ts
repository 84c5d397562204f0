/**
 * One error type for everything the user can fix. Its message is a single line that names the problem
 * and the fix; its exit code tells scripts which kind of problem it was.
 */
export const ExitCode = {
  failure: 1,
  usage: 2,
  unreachable: 3,
  notFound: 4,
  auth: 5,
  throttled: 6,
  confirmationRequired: 7,
  missingTool: 8,
  conflict: 9,
  /** `ddb doctor` found something wrong with the table (or could not repair all of it). */
  unhealthy: 10,
} as const

export type ErrorCode =
  | 'AUTH_FAILED'
  | 'CONFIRMATION_REQUIRED'
  | 'CONFLICT'
  | 'DATABASE_MISSING'
  | 'FAILED'
  | 'INVALID_INPUT'
  | 'MISSING_TOOL'
  | 'NOT_FOUND'
  | 'TABLE_MISSING'
  | 'THROTTLED'
  | 'UNHEALTHY'
  | 'UNREACHABLE'

const exitCodeOf: Record<ErrorCode, number> = {
  AUTH_FAILED: ExitCode.auth,
  CONFIRMATION_REQUIRED: ExitCode.confirmationRequired,
  CONFLICT: ExitCode.conflict,
  DATABASE_MISSING: ExitCode.notFound,
  FAILED: ExitCode.failure,
  INVALID_INPUT: ExitCode.usage,
  MISSING_TOOL: ExitCode.missingTool,
  NOT_FOUND: ExitCode.notFound,
  TABLE_MISSING: ExitCode.notFound,
  THROTTLED: ExitCode.throttled,
  UNHEALTHY: ExitCode.unhealthy,
  UNREACHABLE: ExitCode.unreachable,
}

/**
 * A next step a library error suggests, as data: the library (which also runs in the Lambda) never names a
 * `cruddur` command; the CLI turns a hint into the command to run (actionsFor in src/translate-error.ts).
 */
export type ErrorHint =
  | {step: 'create-cache'; cache: string; prod: boolean}
  | {step: 'add-users'}
  | {step: 'check-table'}
  | {step: 'copy-to-new-table'}
  | {step: 'create-users'}
  | {step: 'db-sessions'}
  | {step: 'drop-if-exists'}
  | {step: 'enable-stream'}
  | {step: 'inspect-conversations'}
  | {step: 'list-conversations'}
  | {step: 'local-user-pool'}
  | {step: 'read-conversation'; messageGroupUuid: string}
  | {step: 'recreate-table'}
  | {step: 'refresh-conversation'; messageGroupUuid: string}
  | {step: 'repair-stale-rows'}
  | {step: 'replace-state-file'}
  /** `stateDir` when the stack was asked for in a directory of the user's choosing, which `start` must be given. */
  | {step: 'start-local-stack'; flag: string; stateDir?: string}

export class CruddurError extends Error {
  readonly code: ErrorCode
  readonly exitCode: number
  /** What to do next, apart from the message; the one error line shows them after it. */
  readonly actions?: string[]
  /** A machine-readable next step, for the CLI to turn into actions. */
  readonly hint?: ErrorHint

  constructor(code: ErrorCode, message: string, options?: {actions?: string[]; cause?: unknown; hint?: ErrorHint}) {
    super(message, options)
    this.name = 'CruddurError'
    this.code = code
    this.exitCode = exitCodeOf[code]
    if (options?.actions?.length) this.actions = options.actions
    if (options?.hint) this.hint = options.hint
  }
}

/** The one line a user sees: the problem, then what to do about it. */
export function errorLine(error: CruddurError): string {
  if (!error.actions?.length) return error.message
  return `${error.message.replace(/\.$/, '')}: ${error.actions.join(', or ')}.`
}

/**
 * What `--json` prints for an error, on stdout: the same shape from every command and from the CLI itself.
 * `message` is the line a user sees (actions included); `actions` lists the next steps apart.
 */
export function errorJson(error: CruddurError, message = errorLine(error)) {
  return {
    error: {actions: error.actions ?? [], code: error.code, exitCode: error.exitCode, message, name: error.name},
    status: error.exitCode,
  }
}

export const invalidInput = (message: string) => new CruddurError('INVALID_INPUT', message)
export const notFound = (message: string) => new CruddurError('NOT_FOUND', message)
