import {Args, type Command, Flags} from '@oclif/core'
import type {CacheClient} from '@gomomento/sdk'

import {describeMomentoTarget, type MomentoTarget, resolveMomentoTarget} from './lib/targets/momento.js'
import {TargetCommand} from './target-command.js'
import type {ErrorContext} from './translate-error.js'

/** The KEY argument of the commands that read or write one cached value. */
export const cacheKeyArgument = Args.string({description: 'The cache key.', required: true})

/**
 * A `cruddur momento` command: the local stand-in by default, Momento itself with `--prod`, the cache
 * from `--cache`. The SDK is imported on first use, and its client closed at the end.
 */
export abstract class MomentoCommand<T extends typeof Command> extends TargetCommand<T> {
  static override baseFlags = {
    ...TargetCommand.baseFlags,
    cache: Flags.string({
      description: 'Cache name (default: MOMENTO_CACHE_NAME, else cruddur).',
      helpGroup: 'MOMENTO',
    }),
    'momento-endpoint': Flags.string({
      description:
        'host:port of a local Momento stand-in (default: MOMENTO_LOCAL_ENDPOINT, the running local ' +
        'stack, localhost:9230). --prod uses Momento with MOMENTO_API_KEY.',
      helpGroup: 'MOMENTO',
    }),
  }

  private cachedMomentoTarget?: MomentoTarget
  private usedMomento = false

  protected get momentoTarget(): MomentoTarget {
    if (!this.cachedMomentoTarget) {
      this.cachedMomentoTarget = resolveMomentoTarget(
        this.flags as {prod?: boolean; cache?: string; 'momento-endpoint'?: string},
        process.env,
        this.localStack,
      )
    }

    return this.cachedMomentoTarget
  }

  /** The process's Momento client for the target, announcing the target the first time. */
  protected async momento(): Promise<CacheClient> {
    const target = this.momentoTarget
    this.announceMomento()
    const {momentoClient} = await import('./lib/momento/client.js')
    const client = momentoClient(target)
    this.usedMomento = true
    return client
  }

  protected announceMomento(): void {
    const target = this.momentoTarget
    this.announce(describeMomentoTarget(target), {debug: `Momento target from ${target.source}`})
  }

  protected override errorContext(): ErrorContext {
    const context = super.errorContext()
    if (this.cachedMomentoTarget) context.momento = this.cachedMomentoTarget
    return context
  }

  protected override async finally(error: Error | undefined): Promise<unknown> {
    if (this.usedMomento) {
      const {closeMomentoClients} = await import('./lib/momento/client.js')
      closeMomentoClients()
    }

    return super.finally(error)
  }
}
