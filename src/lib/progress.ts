/**
 * A progress bar on stderr for long work, drawn only on a terminal (never into pipes or --json output).
 */
export class ProgressBar {
  private done = 0
  private lastDraw = 0
  private readonly started = Date.now()
  private readonly enabled: boolean

  constructor(
    private readonly label: string,
    private readonly total: number | undefined,
    options: {enabled?: boolean} = {},
  ) {
    this.enabled = (options.enabled ?? true) && Boolean(process.stderr.isTTY)
  }

  tick(count = 1): void {
    this.done += count
    const now = Date.now()
    if (this.enabled && now - this.lastDraw > 100) {
      this.lastDraw = now
      this.draw()
    }
  }

  stop(): void {
    if (this.enabled) {
      this.draw()
      process.stderr.write('\n')
    }
  }

  private draw(): void {
    const seconds = Math.max((Date.now() - this.started) / 1000, 0.001)
    const rate = Math.round(this.done / seconds)
    let bar = ''
    if (this.total) {
      const width = 30
      const filled = Math.min(width, Math.round((this.done / this.total) * width))
      bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] `
    }

    const of = this.total ? `/${this.total}` : ''
    process.stderr.write(`\r${this.label} ${bar}${this.done}${of} · ${rate}/s`)
  }
}
