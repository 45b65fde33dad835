// Recovery after a daemon start, and the watch on running containers'
// monitors. runc state without a container (a crash during a background
// delete) is deleted first. Containers that kept running are adopted; those that exited
// meanwhile get their real exit code from conmon's exit file; a container
// whose conmon died is killed (nothing would ever report its exit). Then exits
// are watched, and always/unless-stopped containers come back.
import { messageOf } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import type { Monitor } from '../../runtime/index.js';
import type { ContainerService } from './service.js';
import type { ContainerStore } from './store.js';

/**
 * After a daemon start: containers that kept running are adopted; those that
 * exited meanwhile get their real exit code from conmon's exit file; a
 * container whose conmon died is killed (nothing would ever report its exit).
 * Then exits are watched, and always/unless-stopped containers come back.
 */
export async function recoverContainers(svc: ContainerService, store: ContainerStore, monitor: Monitor, log: Logger): Promise<() => void> {
  // runc state of containers that are gone (a removal's background delete that a crash cut short)
  const known = new Set(store.all().map((c) => c.Id));
  for (const id of monitor.stateIds()) {
    if (!known.has(id)) await monitor.delete(id, true).catch((err: unknown) => log.warn('could not delete leftover runc state', { id: id.slice(0, 12), err: messageOf(err) }));
  }
  for (const c of store.all()) {
    if (!c.State.Running) {
      if (c.State.Restarting) {
        c.State = { ...c.State, Status: 'exited', Restarting: false };
        store.save(c);
      }
      continue;
    }
    const dir = svc.dirOf(c.Id);
    const exit = monitor.exitOf(c.Id, dir);
    if (exit) {
      await svc.lock(c.Id, () => svc.finishExit(c, exit.code, exit.at, exit.oomKilled, ''));
      continue;
    }
    const st = await monitor.state(c.Id);
    if (st && (st.status === 'running' || st.status === 'paused') && monitor.conmonAlive(dir)) {
      c.State.Pid = st.pid;
      store.save(c);
      svc.watchLog(c);
      continue;
    }
    if (st && st.status === 'running') await monitor.kill(c.Id, 'SIGKILL', true).catch(() => {});
    await svc.lock(c.Id, () => svc.finishExit(c, 255, new Date(), false, 'container monitor (conmon) exited while berthd was down'));
  }
  const stopExits = monitor.watchExits((id) => void svc.handleExit(id).catch((err: unknown) => log.error('exit handling failed', { id: id.slice(0, 12), err: messageOf(err) })));
  // A conmon that dies (killed, OOM) never writes an exit file: its container is killed and its exit recorded as unknown.
  const health = setInterval(() => void checkMonitors(svc, store, monitor, log), 10_000);
  health.unref();
  const stop = () => {
    stopExits();
    clearInterval(health);
  };
  for (const c of store.all()) {
    const p = c.HostConfig.RestartPolicy.Name;
    if (!c.State.Running && (p === 'always' || (p === 'unless-stopped' && !c.HasBeenManuallyStopped))) {
      await svc.start(c.Id).catch((err: unknown) => log.error('restart at daemon start failed', { id: c.Id.slice(0, 12), err: messageOf(err) }));
    }
  }
  return stop;
}

async function checkMonitors(svc: ContainerService, store: ContainerStore, monitor: Monitor, log: Logger): Promise<void> {
  for (const c of store.all()) {
    if (!c.State.Running || monitor.conmonAlive(svc.dirOf(c.Id))) continue;
    await svc.lock(c.Id, async () => {
      const cur = svc.get(c.Id);
      if (!cur.State.Running || monitor.conmonAlive(svc.dirOf(c.Id))) return;
      const exit = monitor.exitOf(c.Id, svc.dirOf(c.Id));
      if (exit) return svc.finishExit(cur, exit.code, exit.at, exit.oomKilled, '');
      log.warn('container monitor died; killing the container', { id: c.Id.slice(0, 12) });
      await monitor.kill(c.Id, 'SIGKILL', true).catch(() => {});
      await svc.finishExit(cur, 255, new Date(), false, 'container monitor (conmon) died');
    }).catch((err: unknown) => log.error('monitor check failed', { id: c.Id.slice(0, 12), err: messageOf(err) }));
  }
}
