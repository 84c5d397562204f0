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

export class CruddurError extends Error {
  readonly code: ErrorCode
  readonly exitCode: number

  constructor(code: ErrorCode, message: string, options?: {cause?: unknown}) {
    super(message, options)
    this.name = 'CruddurError'
    this.code = code
    this.exitCode = exitCodeOf[code]
  }
}

/** What `--json` prints for an error, on stdout: the same shape from every command and from the CLI itself. */
export function errorJson(error: CruddurError, message = error.message) {
  return {error: {code: error.code, exitCode: error.exitCode, message, name: error.name}, status: error.exitCode}
}

export const invalidInput = (message: string) => new CruddurError('INVALID_INPUT', message)
export const notFound = (message: string) => new CruddurError('NOT_FOUND', message)
