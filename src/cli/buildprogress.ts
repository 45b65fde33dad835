// `berth build --progress=plain`: BuildKit's plain progress format (`#N
// [N/M] RUN ...`, output lines with the seconds since the step began,
// `#N CACHED`, `#N DONE 0.3s`, then "exporting to image") rendered from the
// daemon's legacy build stream. berthd adds a `berth` field to each message it
// writes (the step, what the text is, the step's duration as the daemon
// measured it); the docker CLI ignores unknown fields, so the stream stays
// docker's. Without the field a message is printed as it is.
import type { BuildEvent } from '../api/types.js';

export class PlainProgress {
  private open?: number;
  /** a RUN's output line not yet ended by a newline, its step and when it began */
  private partial = '';
  private partialStep = 0;
  private partialAt = 0;
  private exportStep?: number;
  private maxStep = 0;

  constructor(private readonly out: { write(s: string): unknown }) {}

  message(text: string, ev: BuildEvent | undefined): void {
    if (!ev) {
      this.flushPartial();
      this.out.write(text);
      return;
    }
    switch (ev.kind) {
      case 'step':
        this.closeOpen();
        this.maxStep = Math.max(this.maxStep, ev.step);
        this.open = ev.step;
        this.out.write(`#${ev.step} [${ev.step}/${ev.total}] ${ev.text}\n`);
        return;
      case 'output':
        this.output(ev.step, ev.at, text);
        return;
      case 'cached':
        this.flushPartial();
        this.out.write(`#${ev.step} CACHED\n\n`);
        if (this.open === ev.step) this.open = undefined;
        return;
      case 'done':
        // after CACHED the step is already closed
        if (this.open !== ev.step) return;
        this.flushPartial();
        this.out.write(`#${ev.step} DONE ${ev.seconds.toFixed(1)}s\n\n`);
        this.open = undefined;
        return;
      case 'built':
        this.closeOpen();
        this.exportStep = this.maxStep + 1;
        this.out.write(`#${this.exportStep} exporting to image\n#${this.exportStep} writing image ${ev.id} done\n`);
        return;
      case 'tagged':
        if (this.exportStep !== undefined) this.out.write(`#${this.exportStep} naming to ${ev.name} done\n`);
        return;
      case 'chatter':
        return;
    }
  }

  /** The end of the stream: close what is open. */
  end(): void {
    this.closeOpen();
    if (this.exportStep !== undefined) this.out.write(`#${this.exportStep} DONE 0.0s\n`);
  }

  private output(step: number, at: number, text: string): void {
    if (this.partial && this.partialStep !== step) this.flushPartial();
    if (!this.partial) this.partialAt = at;
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop()!;
    for (const l of lines) {
      this.out.write(`#${step} ${this.partialAt.toFixed(3)} ${l}\n`);
      this.partialAt = at;
    }
    if (this.partial) this.partialStep = step;
  }

  private flushPartial(): void {
    if (!this.partial) return;
    this.out.write(`#${this.partialStep} ${this.partialAt.toFixed(3)} ${this.partial}\n`);
    this.partial = '';
  }

  private closeOpen(): void {
    this.flushPartial();
    this.open = undefined;
  }
}
