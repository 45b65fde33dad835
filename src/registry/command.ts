// The `registry` command tree (commander), so the berth CLI wires it with one
// line: program.addCommand(registryCommand()). The server and its storage are
// loaded only when a registry command runs (the CLI bundles them into a file
// of their own, scripts/bundle.mjs): they would double every command's start-up.
import { Command } from 'commander';

export function registryCommand(name = 'registry'): Command {
  const cmd = new Command(name).description('Run an OCI distribution registry');
  cmd
    .command('serve')
    .description('Serve the OCI Distribution API')
    .option('--addr <host:port>', 'listen address (default 127.0.0.1:5000)')
    .option('--root <dir>', 'filesystem storage root (default /var/lib/berth-registry)')
    .option('--config <file>', 'registry.yaml: auth, TLS, storage, limits, gc')
    .option('--log-level <level>', 'debug, info, warn or error')
    .action(async (o: { addr?: string; root?: string; config?: string; logLevel?: string }) => {
      const { serveRegistry } = await import('./serve.js');
      await serveRegistry(o);
    });
  cmd
    .command('gc')
    .description('Collect garbage once (safe while a registry serves the same storage)')
    .option('--root <dir>', 'filesystem storage root')
    .option('--config <file>', 'registry.yaml')
    .option('--dry-run', 'report what would be deleted, delete nothing')
    .option('--untagged', 'also delete manifests no tag reaches')
    .action(async (o: { root?: string; config?: string; dryRun?: boolean; untagged?: boolean }) => {
      const { gcRegistry } = await import('./serve.js');
      const report = await gcRegistry(o);
      process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    });
  return cmd;
}
