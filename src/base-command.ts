import {Command, Flags, type Interfaces, ux} from '@oclif/core'
import chalk from 'chalk'

import {CruddurError, errorJson, errorLine} from './lib/errors.js'
import {maskSecrets} from './lib/mask.js'
import {resolveStateDir} from './lib/paths.js'
import {type LocalStackState, localStackView} from './lib/stack-state.js'
import {visible} from './lib/terminal-text.js'
import {translateError, type ErrorContext} from './translate-error.js'

export type CommandFlags<T extends typeof Command> = Interfaces.InferredFlags<T['baseFlags'] & T['flags']>
export type CommandArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

/**
 * Every cruddur command: `--json`, `--debug`, `--state-dir`, one-line errors with distinct exit codes, and
 * stderr for everything that is not the result.
 */
export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override baseFlags = {
    debug: Flags.boolean({
      description: 'Show stack traces and debug detail (also DEBUG=1).',
      helpGroup: 'GLOBAL',
    }),
    'state-dir': Flags.string({
      description: 'Directory of the local stack (pids, ports, logs, data).',
      env: 'CRUDDUR_STATE_DIR',
      helpGroup: 'GLOBAL',
    }),
  }

  static override enableJsonFlag = true

  protected args!: CommandArgs<T>
  protected flags!: CommandFlags<T>
  private cachedLocalStack?: LocalStackState
  private stdoutClosed = false

  public override async init(): Promise<void> {
    await super.init()
    // A reader that went away (`| head -1`) wants no more: the command ends quietly with 0, as other Unix
    // tools do, but through its own cleanup (clients closed, summaries on stderr), not by exiting on the spot.
    process.stdout.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') this.stdoutClosed = true
    })
    respectNoColor()
    const {args, flags} = await this.parse({
      args: this.ctor.args,
      baseFlags: (this.ctor as typeof BaseCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      flags: this.ctor.flags,
      strict: this.ctor.strict,
    })
    this.flags = flags as CommandFlags<T>
    this.args = args as CommandArgs<T>
  }

  /** A line of the result on stdout; once its reader went away, the command stops here and unwinds. */
  public override log(message?: string, ...args: unknown[]): void {
    if (this.stdoutClosed) throw new StdoutClosed()
    super.log(message, ...args)
  }

  protected get debugEnabled(): boolean {
    return Boolean(this.flags?.debug) || Boolean(process.env.DEBUG)
  }

  protected get stateDir(): string {
    return resolveStateDir(this.flags?.['state-dir'] as string | undefined)
  }

  /** The services a `cruddur local start` left running, each read and checked when first asked for. */
  protected get localStack(): LocalStackState {
    const explicit = Boolean(this.flags?.['state-dir'])
    this.cachedLocalStack ??= localStackView(this.stateDir, {explicit})
    return this.cachedLocalStack
  }

  /** The targets this command resolved, so its errors can name them; subclasses add theirs. */
  protected errorContext(): ErrorContext {
    return {}
  }

  /** Progress and diagnostics: stderr, and silent under --json so stdout stays one JSON document. */
  protected info(message: string): void {
    if (!this.jsonEnabled()) this.logToStderr(message)
  }

  protected debugLog(message: string): void {
    if (this.debugEnabled) this.logToStderr(chalk.dim(`debug: ${message}`))
  }

  protected override async catch(
    error: Error & {code?: string; exitCode?: number; oclif?: {exit?: number}},
  ): Promise<unknown> {
    // Whatever the command met after its reader went away (a failed write, StdoutClosed) ends it with 0.
    if (this.stdoutClosed) this.exit(0)
    // oclif's own exits (help, parse errors) keep their behaviour.
    if (error.oclif?.exit !== undefined && !(error instanceof CruddurError)) {
      if (error.oclif.exit === 0 || error.message.startsWith('EEXIT')) throw error
      return this.fail(
        new CruddurError(
          'INVALID_INPUT',
          oneLine(error.message, ['cruddur', ...(this.id?.split(':') ?? []), '--help'].join(' ')),
        ),
        error,
      )
    }

    return this.fail(translateError(error, this.errorContext()), error)
  }

  private fail(error: CruddurError, original: Error): never {
    process.exitCode = error.exitCode
    if (this.debugEnabled && original.stack) this.logToStderr(chalk.dim(maskSecrets(original.stack)))
    printError(error, {config: this.config, json: this.jsonEnabled()})
    this.exit(error.exitCode)
  }
}

/** How every error is shown, by a command or by the CLI itself: its one line on stderr, or its JSON on stdout. */
/** https://no-color.org: a non-empty NO_COLOR turns colour off, also where no command runs (an unknown one). */
function respectNoColor(): void {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') chalk.level = 0
}

export function printError(error: CruddurError, {config, json}: {config: Interfaces.Config; json: boolean}): void {
  respectNoColor()
  // Whatever a message quotes (an endpoint, a driver's text) is masked here once more, and on a terminal
  // made one visible line: echoed input must not forge a second `Error:` line or reach the terminal raw.
  const message = maskSecrets(errorLine(error))
  if (json) ux.stdout(ux.colorizeJson(errorJson(error, message), {pretty: true, theme: config.theme?.json}))
  else ux.stderr(`${chalk.red('Error:')} ${visible(message)}`)
}

/** Thrown by `log` once stdout's reader went away, to end the command (with 0) at its next line. */
class StdoutClosed extends Error {
  constructor() {
    super('stdout was closed by its reader')
  }
}

/**
 * oclif's parse errors span lines ("Parsing --limit", then the reason on the next line); the reason is
 * the useful part. Joined into the one line every error gets, pointing at the command's own help.
 */
export function oneLine(message: string, help: string): string {
  const lines = message
    .split('\n')
    .map((line) =>
      line
        .replaceAll(/\s+/g, ' ')
        .trim()
        .replace(/^Missing required flag (\w[\w-]*)$/, 'Missing required flag --$1'),
    )
    .filter((line) => line && !/^See more help with/.test(line) && !/^The following errors? occurred:?$/.test(line))
  const joined = lines.reduce((text, line) => (text ? `${text}${/[:.]$/.test(text) ? ' ' : ': '}${line}` : line), '')
  return `${joined.replace(/\.$/, '')}. See \`${help}\`.`
}
