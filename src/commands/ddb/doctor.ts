import {Flags} from '@oclif/core'
import chalk from 'chalk'

import {TargetCommand} from '../../target-command.js'
import {ExitCode} from '../../lib/errors.js'
import {diagnose, type DoctorProgress} from '../../lib/dynamodb/doctor/diagnose.js'
import {
  countByKind,
  EXAMPLES_PER_KIND,
  type Finding,
  FINDING_KINDS,
  type FindingKind,
} from '../../lib/dynamodb/doctor/findings.js'
import {ProgressBar} from '../../lib/progress.js'
import {dynamoDbTargetJson, type DynamoDbTargetJson} from '../../lib/targets/dynamodb.js'
import {repair} from '../../lib/dynamodb/doctor/repair.js'

export interface DoctorResult {
  table: string
  /** Nothing found, or (with --fix) everything found was repaired. */
  healthy: boolean
  // The flags as given: oclif leaves a boolean flag undefined when it is not passed, so its key is absent.
  deep?: boolean
  fix?: boolean
  dryRun?: boolean
  conversations: number
  /** Requests sent while checking. */
  requests: number
  /** Findings per kind, as found (before any repair). */
  counts: Record<FindingKind, number>
  /** Findings left unrepaired (all of them without --fix). */
  unrepaired: number
  /** What --fix changed in the table's shape, in place. */
  shapeChanges: string[]
  findings: Finding[]
  target: DynamoDbTargetJson
}

export default class Doctor extends TargetCommand<typeof Doctor> {
  static override description =
    `Check a whole table's health, and with --fix repair it: its ` +
    `shape, its conversations, and (--deep) every key.

Shape: keys pk/sk, the index message-group-sk-index (projection ALL), a NEW_IMAGE stream, ACTIVE.
Conversations: exactly one row per participant, each at the newest message (text, time, ` +
    `last_message_sk) in the canonical key layout; rows of conversations without messages; ` +
    `pairs with several conversations (the Cruddur app's random ids); rows showing a deleted ` +
    `message without the message attribute the app reads (written by earlier versions).
--deep also scans the table: message keys not in the canonical UTC form (offsets, naive ` +
    `times, the earlier "#<uuid>" suffix), messages without rows, and deleted messages without ` +
    `the message attribute.

Exits 0 when healthy and 10 when anything is found (with --fix: anything left unrepaired), so CI can gate on it.
--fix changes each item only if it is still as read, so it is safe beside the app and ` +
    `resumable: run it again after an interruption. On --prod it prints the plan and asks ` +
    `first; --dry-run prints the plan and changes nothing.`

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --fix',
    '<%= config.bin %> <%= command.id %> --fix --deep --merge-conversations',
    '<%= config.bin %> <%= command.id %> --prod --fix --dry-run',
  ]

  static override flags = {
    fix: Flags.boolean({description: 'Repair every finding (conditional writes; safe to run again).'}),
    deep: Flags.boolean({
      description:
        'Also scan the whole table: non-canonical message keys, messages without rows, text-less tombstones.',
    }),
    'dry-run': Flags.boolean({dependsOn: ['fix'], description: 'With --fix: print the plan and change nothing.'}),
    'merge-conversations': Flags.boolean({
      dependsOn: ['fix'],
      description: "With --fix: fold a pair's several conversations into the pair's one (derived id).",
    }),
    segments: Flags.integer({default: 8, description: 'Parallel scan segments.', max: 64, min: 1}),
  }

  async run(): Promise<DoctorResult> {
    const target = this.dynamoDbTarget
    const table = await this.messagesTable()
    const progress = this.progress()
    const diagnosis = await diagnose(table, {deep: this.flags.deep, progress, segments: this.flags.segments})
    progress.phase('')
    const counts = countByKind(diagnosis.findings)
    this.summarize(diagnosis.findings, counts)
    let shapeChanges: string[] = []
    const fixing = this.flags.fix && diagnosis.findings.length > 0
    if (fixing) {
      const plan = Object.entries(counts)
        .filter(([, count]) => count > 0)
        .map(([kind, count]) => `${count} ${kind}`)
        .join(', ')
      const splitPairsNote =
        this.flags['merge-conversations'] || counts['split-pair'] === 0
          ? ''
          : ' (split pairs only reported: add --merge-conversations)'
      this.info(`Plan: repair ${plan}${splitPairsNote}.`)
      if (!this.flags['dry-run']) {
        await this.confirmProd(`repair table ${target.table} (${plan})`, target)
        shapeChanges = await repair(table, diagnosis, {
          mergeConversations: this.flags['merge-conversations'],
          onWait: (what) => this.info(chalk.dim(what)),
          progress,
        })
        progress.phase('')
      }
    }

    const unrepaired = diagnosis.findings.filter((finding) => !finding.fixed).length
    if (fixing && !this.flags['dry-run']) {
      this.info(
        unrepaired === 0
          ? chalk.green(`Repaired all ${diagnosis.findings.length} findings.`)
          : chalk.yellow(
              `Repaired ${diagnosis.findings.length - unrepaired} of ${diagnosis.findings.length} ` +
                `findings; ${unrepaired} left (listed in --json).`,
            ),
      )
    }

    if (unrepaired > 0) process.exitCode = ExitCode.unhealthy
    return {
      conversations: diagnosis.conversations,
      counts,
      deep: this.flags.deep,
      dryRun: this.flags['dry-run'],
      findings: diagnosis.findings,
      fix: this.flags.fix,
      healthy: unrepaired === 0,
      requests: diagnosis.requests,
      shapeChanges,
      table: target.table,
      target: dynamoDbTargetJson(target),
      unrepaired,
    }
  }

  /** One line per kind found, with its count and a few example ids. */
  private summarize(findings: Finding[], counts: Record<FindingKind, number>): void {
    if (findings.length === 0) {
      this.log(chalk.green('Healthy: nothing found.'))
      return
    }

    for (const kind of Object.keys(FINDING_KINDS) as FindingKind[]) {
      if (counts[kind] === 0) continue
      const examples = [
        ...new Set(findings.filter((finding) => finding.kind === kind).map((finding) => finding.id)),
      ].slice(0, EXAMPLES_PER_KIND)
      this.log(`${chalk.yellow(String(counts[kind]).padStart(7))} ${kind.padEnd(20)} ${FINDING_KINDS[kind]}`)
      this.log(chalk.dim(`        e.g. ${examples.join(', ')}`))
    }
  }

  /** A progress bar per phase on a terminal's stderr; nothing in pipes or under --json. */
  private progress(): DoctorProgress & {phase(name: string, total?: number): void} {
    let bar: ProgressBar | undefined
    const enabled = !this.jsonEnabled()
    return {
      phase(name: string, total?: number) {
        bar?.stop()
        bar = name ? new ProgressBar(name, total, {enabled}) : undefined
      },
      tick(count = 1) {
        bar?.tick(count)
      },
    }
  }
}
