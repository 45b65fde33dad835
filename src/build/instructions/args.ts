// ARG scoping: the meta ARGs before the first FROM (visible to FROM lines and
// to a stage that redeclares them without a value), per-stage ARGs, values
// from --build-arg, and the predefined proxy args (usable without ARG, kept
// out of the image history and the cache key unless declared).
import { expandWord, type Env } from '../parser/index.js';

export const PROXY_ARGS = ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy'];

export interface PlatformArgs {
  os: string;
  arch: string;
  variant?: string;
}

/** BuildKit's automatic platform args (build and target platform are the same here). */
export function platformArgs(p: PlatformArgs): Map<string, string> {
  const plat = `${p.os}/${p.arch}${p.variant ? '/' + p.variant : ''}`;
  const m = new Map<string, string>();
  for (const pre of ['BUILD', 'TARGET']) {
    m.set(`${pre}PLATFORM`, plat);
    m.set(`${pre}OS`, p.os);
    m.set(`${pre}ARCH`, p.arch);
    m.set(`${pre}VARIANT`, p.variant ?? '');
  }
  return m;
}

export class BuildArgs {
  /** every --build-arg the user gave, and whether something consumed it */
  private readonly used = new Set<string>();
  readonly meta = new Map<string, string>();

  constructor(readonly given: ReadonlyMap<string, string | undefined>, metaArgs: { name: string; value?: string }[], auto: ReadonlyMap<string, string>, esc: string) {
    for (const [k, v] of auto) this.meta.set(k, v);
    for (const a of metaArgs) {
      const v = this.valueOf(a.name, a.value === undefined ? undefined : expandWord(a.value, this.meta, esc));
      if (v !== undefined) this.meta.set(a.name, v);
      else this.meta.delete(a.name);
    }
  }

  private valueOf(name: string, dflt: string | undefined): string | undefined {
    if (this.given.has(name)) {
      this.used.add(name);
      const v = this.given.get(name);
      if (v !== undefined) return v;
    }
    return dflt;
  }

  /** ARG inside a stage: --build-arg, else its default, else the meta ARG of that name. */
  declare(name: string, dflt: string | undefined): string | undefined {
    const v = this.valueOf(name, dflt);
    if (v !== undefined) return v;
    return this.meta.get(name);
  }

  /** proxy args given with --build-arg: visible to RUN without a declaration */
  proxies(): Map<string, string> {
    const m = new Map<string, string>();
    for (const p of PROXY_ARGS) {
      const v = this.given.get(p);
      if (v !== undefined) {
        m.set(p, v);
        this.used.add(p);
      }
    }
    return m;
  }

  unused(): string[] {
    return [...this.given.keys()].filter((k) => !this.used.has(k) && !PROXY_ARGS.includes(k) && k !== 'SOURCE_DATE_EPOCH').sort();
  }
}

/** The expansion environment: declared ARGs overlaid by the config's ENV (ENV wins). */
export function expansionEnv(args: ReadonlyMap<string, string>, env: readonly string[]): Env {
  const m = new Map(args);
  for (const e of env) {
    const eq = e.indexOf('=');
    m.set(eq < 0 ? e : e.slice(0, eq), eq < 0 ? '' : e.slice(eq + 1));
  }
  return m;
}
