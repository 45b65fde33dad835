// The runtime subsystem: OCI spec generation (pure), the conmon monitor with
// runc, conmon's log format, exec sessions, and the Executor that runs build
// steps as OCI containers.
export { generateSpec, ALL_CAPABILITIES, DEFAULT_CAPABILITIES, MASKED_PATHS, READONLY_PATHS, INIT_PATH, type OciSpec, type OciProcess, type SpecOptions, type BindMount, type TmpfsMount, type OciDevice, type OciUser } from './spec.js';
export { parseSeccompOpt, seccompOption, seccompFilter, type SeccompOption } from './seccomp/option.js';
export { buildSeccomp, hostPlatform, DEFAULT_PROFILE as DEFAULT_SECCOMP_PROFILE, type OciSeccomp, type Platform, type SeccompProfile } from './seccomp/build.js';
export { resolveUser, type ResolvedUser } from './user.js';
export { Monitor, RuntimeCreateError, readPid, startFailureCode, type CreateOptions, type ExitInfo, type RuncState } from './monitor.js';
export { readLog, parseRecord, recordSeconds, type LogRecord, type ReadLogOptions } from './logs.js';
export { runExec, type ExecOptions, type ExecHandle } from './exec.js';
export { LogRotator, rotatedFiles } from './rotate.js';
export { OciExecutor, type OciExecutorOptions } from './ociexec.js';
export type { Executor, ExecRequest, ExecResult, ExecMount, ExecNetwork } from './executor.js';
