// The per-instruction argument syntaxes, as docker's parser has them: a
// whole-line string, whitespace-separated words, name=value pairs (ENV,
// LABEL), name[=value] (ARG), JSON-or-shell (RUN, CMD, ENTRYPOINT, SHELL),
// JSON-or-list (COPY, ADD, VOLUME) and HEALTHCHECK's CMD/NONE.

export class ArgError extends Error {}

/**
 * Split on unquoted whitespace, keeping quotes and escapes in the words (they
 * are removed later, at expansion). Mirrors BuildKit's parseWords.
 */
export function splitWordsKeepQuotes(rest: string, esc: string): string[] {
  const words: string[] = [];
  let cur = '';
  let quote = '';
  let blank = true;
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i]!;
    if (blank) {
      if (/\s/.test(c)) continue;
      blank = false;
    }
    if (!quote && /\s/.test(c)) {
      words.push(cur);
      cur = '';
      blank = true;
      continue;
    }
    if (c === esc && i + 1 < rest.length && quote !== "'") {
      cur += c + rest[++i];
      continue;
    }
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    cur += c;
  }
  if (!blank) words.push(cur);
  return words;
}

/** Leading --flags; returns them and the rest of the line. */
export function extractFlags(rest: string, esc: string): { flags: string[]; rest: string } {
  const flags: string[] = [];
  let r = rest.trimStart();
  for (;;) {
    if (!r.startsWith('--')) break;
    // a flag is one word (quotes allowed inside it)
    const words = splitWordsKeepQuotes(r, esc);
    const w = words[0]!;
    if (w === '--') {
      r = r.slice(2).trimStart();
      break;
    }
    flags.push(w);
    r = r.slice(r.indexOf(w) + w.length).trimStart();
  }
  return { flags, rest: r };
}

/** JSON array of strings, or undefined when `rest` is not one. */
export function parseJSONArray(rest: string): string[] | undefined {
  const t = rest.trim();
  if (!t.startsWith('[') || !t.endsWith(']')) return undefined;
  try {
    const v: unknown = JSON.parse(t);
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  } catch {
    /* shell form */
  }
  return undefined;
}

export interface Parsed {
  next: string[];
  json: boolean;
}

export function maybeJSON(rest: string): Parsed {
  const j = parseJSONArray(rest);
  if (j) return { next: j, json: true };
  const t = rest.trim();
  return { next: t ? [t] : [], json: false };
}

export function maybeJSONToList(rest: string, esc: string): Parsed {
  const j = parseJSONArray(rest);
  if (j) return { next: j, json: true };
  return { next: splitWordsKeepQuotes(rest, esc), json: false };
}

/** ENV/LABEL: name=value pairs, or the legacy "name value with spaces". */
export function nameVal(rest: string, what: string, esc: string): Parsed {
  const words = splitWordsKeepQuotes(rest, esc);
  if (words.length === 0) throw new ArgError(`${what} requires at least one argument`);
  if (!words[0]!.includes('=')) {
    // legacy form: the first word is the name, the rest of the line its value
    const m = /^\s*(\S+)\s+([\s\S]*?)\s*$/.exec(rest);
    if (!m || !m[2]) throw new ArgError(`${what} must have two arguments`);
    return { next: [m[1]!, m[2]!], json: false };
  }
  const next: string[] = [];
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq < 0) throw new ArgError(`Syntax error - can't find = in "${w}". Must be of the form: name=value`);
    if (eq === 0) throw new ArgError(`${what} names can not be blank`);
    next.push(w.slice(0, eq), w.slice(eq + 1));
  }
  return { next, json: false };
}

export function whitespaceWords(rest: string): Parsed {
  const t = rest.trim();
  return { next: t ? t.split(/\s+/) : [], json: false };
}

export function wholeString(rest: string): Parsed {
  const t = rest.trim();
  return { next: t ? [t] : [], json: false };
}

/** ARG name[=default] ... */
export function nameOrNameVal(rest: string, esc: string): Parsed {
  return { next: splitWordsKeepQuotes(rest, esc), json: false };
}
