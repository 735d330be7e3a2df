// `relay start` in a real pseudo-terminal (util-linux `script` gives it one), and a small screen model that
// applies what a terminal does with the output (text, CR/LF, cursor moves, clears), so a test reads the screen
// a person would see rather than the escape codes readline wrote.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { fileURLToPath } from "node:url";
import { childEnv, RELAY_BIN } from "./cli.ts";
import { SAFETY_NET_MS } from "./wait.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Keys as a terminal sends them. */
export const KEY = { enter: "\r", backspace: "\x7f", ctrlC: "\x03", ctrlD: "\x04", ctrlU: "\x15", left: "\x1b[D" } as const;

export class TerminalSession {
  readonly child: ChildProcessWithoutNullStreams;
  /** Everything the terminal received, escape codes included. */
  output = "";
  private readonly exited: Promise<number | null>;

  constructor(env: Record<string, string | undefined>) {
    const command = [process.execPath, RELAY_BIN, "start"].map(shellQuote).join(" ");
    // -e: exit with the child's status; -f: flush as it comes; /dev/null: no typescript file.
    this.child = spawn("script", ["-qfec", command, "/dev/null"], { cwd: ROOT, env: childEnv({ TERM: "xterm", ...env }) });
    this.child.stdout.on("data", (d: Buffer) => (this.output += d.toString()));
    this.child.stderr.on("data", (d: Buffer) => (this.output += d.toString()));
    this.exited = new Promise((resolve) => this.child.on("close", resolve));
  }

  /** Presses keys (text or KEY codes), as typed into the terminal. */
  press(keys: string): void {
    this.child.stdin.write(keys);
  }

  /**
   * Presses keys one at a time, each after the terminal showed the one before, as a person types. (Keys that
   * arrive in one chunk are a paste to readline, which then inserts them at the end of the line.)
   */
  async keys(...keys: string[]): Promise<void> {
    for (const key of keys) {
      const before = this.output.length;
      this.press(key);
      const deadline = Date.now() + SAFETY_NET_MS;
      while (this.output.length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Types a line and Enter. */
  type(line: string): void {
    this.press(line + KEY.enter);
  }

  /** The screen now, one string per row (as far as anything was written on it). */
  screen(): string[] {
    return render(this.output);
  }

  /** Waits until the screen (rows joined by "\n") matches; returns the match. */
  async waitForScreen(pattern: RegExp, timeoutMs = SAFETY_NET_MS): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = pattern.exec(this.screen().join("\n"));
      if (m) return m;
      if (Date.now() > deadline || this.child.exitCode !== null) {
        throw new Error(`no ${pattern} on the screen within ${timeoutMs} ms. Screen:\n${this.screen().join("\n")}\nraw: ${JSON.stringify(this.output.slice(-2000))}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Waits for the process to exit; its exit code. */
  exit(): Promise<number | null> {
    return this.exited;
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill("SIGKILL");
  }
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Applies terminal output to a screen of unbounded width and height: printable characters (East Asian wide
 * ones take two columns), CR, LF, backspace, and the CSI sequences readline uses — cursor to column (G),
 * cursor up/down/right/left (A/B/C/D), clear to the end of the screen (J) or of the line (K). Other escapes are
 * ignored.
 */
export function render(output: string): string[] {
  const rows: string[][] = [[]];
  let row = 0;
  let col = 0;
  const line = () => (rows[row] ??= []);
  const chars = [...output];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === "\r") col = 0;
    else if (c === "\n") {
      row++;
      while (rows.length <= row) rows.push([]);
    } else if (c === "\b") col = Math.max(0, col - 1);
    else if (c === "\x1b") {
      if (chars[i + 1] !== "[") {
        i++; // a two-character escape (ESC 7, ESC =, …)
        continue;
      }
      let j = i + 2;
      let params = "";
      while (j < chars.length && /[0-9;?]/.test(chars[j]!)) params += chars[j++];
      const final = chars[j];
      i = j;
      const n = Number(params.split(";")[0] || (final === "J" || final === "K" ? 0 : 1));
      if (final === "G") col = Math.max(0, n - 1);
      else if (final === "A") row = Math.max(0, row - n);
      else if (final === "B") {
        row += n;
        while (rows.length <= row) rows.push([]);
      } else if (final === "C") col += n;
      else if (final === "D") col = Math.max(0, col - n);
      else if (final === "J" && n === 0) {
        line().length = Math.min(line().length, col);
        rows.length = row + 1;
      } else if (final === "K" && n === 0) line().length = Math.min(line().length, col);
    } else if (c >= " ") {
      const cells = line();
      while (cells.length < col) cells.push(" ");
      const wide = isWide(c.codePointAt(0)!);
      cells[col] = c;
      if (wide) cells[col + 1] = ""; // the right half of a wide character
      col += wide ? 2 : 1;
    }
  }
  return rows.map((cells) => cells.join(""));
}

/** East Asian wide and fullwidth characters, and emoji, take two columns (as Node's readline counts them). */
function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x231a && cp <= 0x231b) ||
    (cp >= 0x23e9 && cp <= 0x23ec) ||
    cp === 0x23f0 ||
    cp === 0x23f3 ||
    (cp >= 0x2e80 && cp <= 0x303e) ||
    (cp >= 0x3041 && cp <= 0x33ff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0xa000 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}
