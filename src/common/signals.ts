// Signal names as docker parses them (moby's pkg/signal ParseSignal and the
// Linux SignalMap): a number, or a name with or without "SIG", any case,
// including RTMIN+n / RTMAX-n. The result is the form runc's `kill` takes.
import { invalidArgument } from './errors.js';

const LINUX: Record<string, number> = {
  ABRT: 6, ALRM: 14, BUS: 7, CHLD: 17, CLD: 17, CONT: 18, FPE: 8, HUP: 1, ILL: 4, INT: 2, IO: 29, IOT: 6,
  KILL: 9, PIPE: 13, POLL: 29, PROF: 27, PWR: 30, QUIT: 3, SEGV: 11, STKFLT: 16, STOP: 19, SYS: 31, TERM: 15,
  TRAP: 5, TSTP: 20, TTIN: 21, TTOU: 22, URG: 23, USR1: 10, USR2: 12, VTALRM: 26, WINCH: 28, XCPU: 24, XFSZ: 25,
};
const RTMIN = 34;
const RTMAX = 64;

/** The signal's number; throws docker's 400 "Invalid signal: X" for anything else. */
export function signalNumber(raw: string): number {
  const bad = () => invalidArgument(`Invalid signal: ${raw}`);
  if (/^\d+$/.test(raw)) {
    const n = Number(raw);
    // docker refuses 0; past the kernel's last signal runc would fail at kill time instead
    if (n < 1 || n > RTMAX) throw bad();
    return n;
  }
  const name = raw.toUpperCase().replace(/^SIG/, '');
  if (name in LINUX) return LINUX[name]!;
  const rt = /^RTM(IN|AX)(?:([+-])(\d{1,2}))?$/.exec(name);
  if (rt) {
    const off = rt[3] ? Number(rt[3]) * (rt[2] === '+' ? 1 : -1) : 0;
    const n = (rt[1] === 'IN' ? RTMIN : RTMAX) + off;
    // moby's map has RTMIN+1..+15 and RTMAX-1..-14 only
    if ((rt[1] === 'IN' && off >= 0 && off <= 15) || (rt[1] === 'AX' && off <= 0 && off >= -14)) return n;
  }
  throw bad();
}

/** What runc's `kill` is given: the number, which it takes for every signal including real-time ones. */
export function parseSignal(raw: string): string {
  return String(signalNumber(raw));
}
