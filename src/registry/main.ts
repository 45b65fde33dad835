#!/usr/bin/env node
// Standalone entry: node dist/src/registry/main.js serve|gc ...
import { messageOf } from '../common/errors.js';
import { registryCommand } from './command.js';

registryCommand('berth-registry')
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    process.stderr.write(`berth registry: ${messageOf(err)}\n`);
    process.exit(1);
  });
