// Unpacking in a worker thread. The unpacker writes with synchronous calls (it
// works relative to one directory and checks each path as it goes), so in the
// daemon's thread every layer being unpacked competes with the network,
// hashing and the API for one core; layers pulled or loaded in parallel each
// get a thread of their own here. The bytes are copied to the worker with a
// bounded window of chunks in flight.
import type { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { BerthError, internal, type ErrorKind } from '../../common/errors.js';
import type { UnpackResult } from './apply.js';

const WINDOW = 8;

type WorkerMessage = { ack: true } | { result: UnpackResult } | { error: { kind: ErrorKind; message: string } };

export function unpackLayerInWorker(layer: Readable, dir: string): Promise<UnpackResult> {
  const worker = new Worker(new URL('./unpack-worker.js', import.meta.url), { workerData: { dir } });
  let inFlight = 0;
  let wake: (() => void) | undefined;
  let settled = false;
  const done = new Promise<UnpackResult>((resolve, reject) => {
    worker.on('message', (m: WorkerMessage) => {
      if ('ack' in m) {
        inFlight--;
        wake?.();
        wake = undefined;
      } else if ('result' in m) {
        settled = true;
        resolve(m.result);
      } else {
        settled = true;
        reject(new BerthError(m.error.kind, m.error.message));
      }
      if (settled) wake?.();
    });
    worker.on('error', (err) => {
      settled = true;
      reject(internal(`layer unpack worker: ${err.message}`, err));
      wake?.();
    });
    worker.on('exit', (code) => {
      if (!settled) {
        settled = true;
        reject(internal(`layer unpack worker exited with code ${code}`));
        wake?.();
      }
    });
  });
  const feed = (async () => {
    try {
      for await (const c of layer) {
        if (settled) break;
        while (inFlight >= WINDOW && !settled) await new Promise<void>((r) => (wake = r));
        if (settled) break;
        inFlight++;
        worker.postMessage({ chunk: c as Buffer });
      }
      if (!settled) worker.postMessage({ end: true });
    } catch (err) {
      worker.postMessage({ abort: err instanceof Error ? err.message : String(err) });
      throw err;
    }
  })();
  return (async () => {
    try {
      const [f, r] = await Promise.allSettled([feed, done]);
      if (r.status === 'fulfilled' && f.status === 'fulfilled') return r.value;
      // the layer's own read error says more than the unpack's reaction to it
      throw f.status === 'rejected' && !(f.reason instanceof BerthError) ? internal(`layer: read: ${(f.reason as Error).message}`, f.reason) : r.status === 'rejected' ? r.reason : (f as PromiseRejectedResult).reason;
    } finally {
      layer.destroy();
      await worker.terminate();
    }
  })();
}
