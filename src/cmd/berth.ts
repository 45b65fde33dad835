// berth: the CLI process. The Engine API commands live in cli/; `berth
// registry` runs the registry server in this process, so it is wired here.
// (registry/command.ts loads the server code only when a registry command runs.)
import { main } from '../cli/index.js';
import { registryCommand } from '../registry/index.js';

void main(process.argv, [registryCommand()]);
