/**
 * Local stand-in for `@std/cli/unstable-progress-bar` with std's constructor options and
 * surface (`value`, `max`, `stop()`). On a terminal it redraws in place every `interval` ms; off a
 * terminal (CI, pipes) it prints a plain line at most every 10 s and once at the end, so logs
 * stay readable.
 *
 * @module
 */

/** What a custom `fmt` receives (a subset of std's `ProgressBarFormatter`). */
export interface ProgressBarFormatter {
  /** The bar, e.g. `[#####-----]`. */
  progressBar: string;
  /** `mm:ss` since start. */
  styledTime: string;
  /** Milliseconds since start. */
  time: number;
  /** Current value. */
  value: number;
  /** Maximum value. */
  max: number;
}

/** Options of {@linkcode ProgressBar} (std's names). */
export interface ProgressBarOptions {
  /** The value that means done. */
  max: number;
  /** The starting value. @default {0} */
  value?: number;
  /** Bar width in characters. @default {30} */
  barLength?: number;
  /** @default {"#"} */
  fillChar?: string;
  /** @default {"-"} */
  emptyChar?: string;
  /** Erase the bar on stop. @default {false} */
  clear?: boolean;
  /** Formats one line. */
  fmt?: (f: ProgressBarFormatter) => string;
  /** Where to write. @default {Deno.stderr.writable} */
  writable?: WritableStream<Uint8Array>;
  /** Keep the stream open after stop. @default {false} */
  keepOpen?: boolean;
}

/**
 * A progress bar with std's API.
 *
 * @example Counting to ten
 * ```ts
 * import { ProgressBar } from "./progress_bar.ts";
 * const chunks: Uint8Array[] = [];
 * const bar = new ProgressBar({ max: 10, writable: new WritableStream({ write: (c) => { chunks.push(c); } }) });
 * bar.value = 10;
 * await bar.stop();
 * if (chunks.length === 0) throw new Error("nothing drawn");
 * ```
 */
export class ProgressBar {
  /** Current value. */
  value: number;
  /** Maximum value. */
  max: number;
  #opts: ProgressBarOptions;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #start = Date.now();
  #lastPlain = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #tty: boolean;
  #enc = new TextEncoder();

  /** @param options See {@linkcode ProgressBarOptions}. */
  constructor(options: ProgressBarOptions) {
    this.#opts = options;
    this.value = options.value ?? 0;
    this.max = options.max;
    const writable = options.writable ?? Deno.stderr.writable;
    this.#tty = options.writable === undefined && Deno.stderr.isTerminal();
    this.#writer = writable.getWriter();
    this.#timer = setInterval(() => this.#draw(false), this.#tty ? 200 : 1000);
  }

  #line(): string {
    const time = Date.now() - this.#start;
    const len = this.#opts.barLength ?? 30;
    const frac = this.max > 0 ? Math.min(1, Math.max(0, this.value / this.max)) : 1;
    const fill = Math.round(frac * len);
    const progressBar = `[${(this.#opts.fillChar ?? "#").repeat(fill)}${
      (this.#opts.emptyChar ?? "-").repeat(len - fill)
    }]`;
    const s = Math.floor(time / 1000);
    const styledTime = `${String(Math.floor(s / 60)).padStart(2, "0")}:${
      String(s % 60).padStart(2, "0")
    }`;
    const f = { progressBar, styledTime, time, value: this.value, max: this.max };
    return this.#opts.fmt
      ? this.#opts.fmt(f)
      : `[${styledTime}] ${progressBar} ${this.value}/${this.max}`;
  }

  /** Writes the bar (off a terminal at most every 10 s, and always when `final`). */
  #draw(final: boolean): Promise<void> {
    if (this.#tty) {
      return this.#writer.write(this.#enc.encode(`\r\x1b[K${this.#line()}`)).catch(() => {});
    } else if (final || Date.now() - this.#lastPlain >= 10_000) {
      this.#lastPlain = Date.now();
      return this.#writer.write(this.#enc.encode(`${this.#line()}\n`)).catch(() => {});
    }
    return Promise.resolve();
  }

  /** Draws the final state and releases the stream. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    if (this.#tty && this.#opts.clear) await this.#writer.write(this.#enc.encode("\r\x1b[K"));
    else {
      // Awaited, so the final line is out before whatever the caller prints next.
      await this.#draw(true);
      if (this.#tty) await this.#writer.write(this.#enc.encode("\n"));
    }
    this.#writer.releaseLock();
    if (!this.#opts.keepOpen && this.#opts.writable) {
      await this.#opts.writable.close().catch(() => {});
    }
  }
}
