// .dockerignore with docker's semantics (moby/patternmatcher): patterns are
// cleaned paths relative to the context root, `*` and `?` stay inside one
// path segment, `**` spans any number of segments, `!` re-includes, the last
// matching pattern wins, and a pattern that matches a parent directory
// matches everything below it.
import * as path from 'node:path';

interface Pattern {
  exclusion: boolean;
  re: RegExp;
  text: string;
}

export function parseDockerignore(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    let line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    let neg = false;
    if (line.startsWith('!')) {
      neg = true;
      line = line.slice(1).trim();
      if (line === '') throw new Error('illegal exclusion pattern: "!"');
    }
    let p = path.posix.normalize(line);
    if (p.length > 1 && p.startsWith('/')) p = p.slice(1);
    if (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
    out.push((neg ? '!' : '') + p);
  }
  return out;
}

function compile(p: string): RegExp {
  let re = '^';
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '*') {
      if (p[i + 1] === '*') {
        i++;
        if (p[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = p.indexOf(']', i + 1);
      if (end < 0) throw new Error(`syntax error in pattern: ${p}`);
      let cls = p.slice(i + 1, end);
      if (cls.startsWith('^') || cls.startsWith('!')) cls = '^' + cls.slice(1);
      re += `[${cls}]`;
      i = end;
    } else if (c === '\\' && i + 1 < p.length) re += p[++i]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(re + '$');
}

export class IgnoreMatcher {
  private readonly patterns: Pattern[];

  constructor(lines: readonly string[]) {
    this.patterns = lines.map((l) => {
      const exclusion = l.startsWith('!');
      const text = exclusion ? l.slice(1) : l;
      return { exclusion, text, re: compile(text) };
    });
  }

  get empty(): boolean {
    return this.patterns.length === 0;
  }

  get hasExclusions(): boolean {
    return this.patterns.some((p) => p.exclusion);
  }

  /** Whether a context-relative path (no leading "/") is ignored. */
  matches(file: string): boolean {
    const rel = path.posix.normalize(file).replace(/^\/+/, '');
    const parent = path.posix.dirname(rel);
    const parentDirs = parent === '.' ? [] : parent.split('/');
    let matched = false;
    for (const p of this.patterns) {
      if (p.exclusion !== matched) continue;
      let m = p.re.test(rel);
      for (let i = 0; !m && i < parentDirs.length; i++) m = p.re.test(parentDirs.slice(0, i + 1).join('/'));
      if (m) matched = !p.exclusion;
    }
    return matched;
  }

  /**
   * Whether a whole ignored directory can be skipped: true unless an exception
   * could re-include something below it.
   */
  canSkipDir(dir: string): boolean {
    if (!this.matches(dir)) return false;
    const rel = dir.replace(/^\/+|\/+$/g, '');
    return !this.patterns.some((p) => p.exclusion && (p.text.startsWith(rel + '/') || p.text.includes('*') || p.text.includes('?') || p.text.includes('[')));
  }
}
