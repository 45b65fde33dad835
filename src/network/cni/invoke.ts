// Running CNI plugins: one exec per plugin with an explicit environment (PATH
// is required: plugins exec iptables through it), JSON on stdin, a result or
// an error object on stdout. ADD chains prevResult through the list; DEL runs
// the list in reverse, each plugin given the cached final ADD result.
import * as path from 'node:path';
import { run } from '../../common/exec.js';
import { internal } from '../../common/errors.js';
import { type ConfList, type JsonObject, type PluginConf, pluginInput } from './conflist.js';
import { isAlreadyGone, parseCniError } from './result.js';

export interface PluginEnv {
  containerId: string;
  /** '' when the netns is already gone (DEL only) */
  netns: string;
  ifname: string;
}

export class CniPluginError extends Error {
  constructor(
    readonly plugin: string,
    readonly command: string,
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'CniPluginError';
  }
}

export class PluginRunner {
  constructor(readonly pluginDir: string) {}

  async exec(command: 'ADD' | 'DEL' | 'CHECK', conf: JsonObject & { type: string }, env: PluginEnv): Promise<unknown> {
    const bin = path.join(this.pluginDir, conf.type);
    const res = await run(bin, [], {
      input: JSON.stringify(conf),
      allowFailure: true,
      env: {
        PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        CNI_COMMAND: command,
        CNI_CONTAINERID: env.containerId,
        CNI_NETNS: env.netns,
        CNI_IFNAME: env.ifname,
        CNI_PATH: this.pluginDir,
      },
    });
    if (res.code !== 0) {
      const e = parseCniError(res.stdout);
      const detail = e ? `${e.msg}${e.details ? `: ${e.details}` : ''}` : (res.stderr.trim() || res.stdout.trim()).slice(0, 2000);
      throw new CniPluginError(conf.type, command, e?.code ?? res.code, `CNI ${conf.type} ${command} (container ${env.containerId}): ${detail || `exit ${res.code}`}`);
    }
    const out = res.stdout.trim();
    if (out === '') return undefined;
    try {
      return JSON.parse(out) as unknown;
    } catch {
      throw internal(`CNI ${conf.type} ${command}: stdout is not JSON: ${out.slice(0, 200)}`);
    }
  }

  /** ADD through the list in order; returns the final result. */
  async addList(list: ConfList, runtimeConfig: JsonObject, env: PluginEnv, timings?: Record<string, number>): Promise<unknown> {
    let prev: unknown = undefined;
    for (const plugin of list.plugins) {
      const t0 = performance.now();
      const out = await this.exec('ADD', pluginInput(list, plugin, prev, runtimeConfig), env);
      if (timings) timings[`add.${plugin.type}`] = performance.now() - t0;
      if (out === undefined) throw internal(`CNI ${plugin.type} ADD printed no result`);
      prev = out;
    }
    return prev;
  }

  /**
   * DEL through the list in reverse. Every plugin runs even if an earlier one
   * fails; a failing plugin is retried once (a DEL after a half-done ADD can
   * fail the first time), and "does not exist" counts as done.
   */
  async delList(list: ConfList, runtimeConfig: JsonObject, prevResult: unknown, env: PluginEnv, timings?: Record<string, number>): Promise<void> {
    const errors: string[] = [];
    for (const plugin of [...list.plugins].reverse()) {
      const t0 = performance.now();
      try {
        await this.delOne(list, plugin, runtimeConfig, prevResult, env);
      } catch (err) {
        errors.push(err instanceof Error ? err.message : String(err));
      }
      if (timings) timings[`del.${plugin.type}`] = performance.now() - t0;
    }
    if (errors.length > 0) throw internal(errors.join('; '));
  }

  private async delOne(list: ConfList, plugin: PluginConf, runtimeConfig: JsonObject, prevResult: unknown, env: PluginEnv): Promise<void> {
    const input = pluginInput(list, plugin, prevResult, runtimeConfig);
    for (let attempt = 0; ; attempt++) {
      try {
        await this.exec('DEL', input, env);
        return;
      } catch (err) {
        if (err instanceof CniPluginError && isAlreadyGone(err.message)) return;
        if (attempt >= 1) throw err;
      }
    }
  }
}
