// berth: the CLI process. The Engine API commands live in cli/; `berth
// registry` runs the registry server in this process, so it is wired here.
// The registry code (server, token service, distribution client) is loaded
// only when the command line can need it: it doubles the CLI's start-up time.
import { main } from '../cli/index.js';

const args = process.argv.slice(2);
const needsRegistry = args.length === 0 || args.some((a) => a === 'registry' || a === 'help' || a === '--help' || a === '-h');
const extra = needsRegistry ? [(await import('../registry/index.js')).registryCommand()] : [];
void main(process.argv, extra);
