// Worker-thread entry: unpacks one layer into workerData.dir from the chunks
// the host posts, acknowledging each once it is taken (backpressure), and
// posts the UnpackResult or the error's kind and message.
import { PassThrough } from 'node:stream';
import { parentPort, workerData } from 'node:worker_threads';
import { kindOf, messageOf } from '../../common/errors.js';
import { unpackLayer } from './apply.js';

type HostMessage = { chunk: Uint8Array } | { end: true } | { abort: string };

const port = parentPort!;
const input = new PassThrough({ highWaterMark: 4 << 20 });
port.on('message', (m: HostMessage) => {
  if ('chunk' in m) {
    if (input.write(Buffer.from(m.chunk.buffer, m.chunk.byteOffset, m.chunk.byteLength))) port.postMessage({ ack: true });
    else input.once('drain', () => port.postMessage({ ack: true }));
  } else if ('end' in m) input.end();
  else input.destroy(new Error(m.abort));
});
unpackLayer(input, (workerData as { dir: string }).dir).then(
  (result) => port.postMessage({ result }),
  (err: unknown) => port.postMessage({ error: { kind: kindOf(err), message: messageOf(err) } }),
);
