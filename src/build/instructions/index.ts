// Typed instructions and ARG scoping.
export type { Instruction, CopyLike, RunMount, Stage, Dockerfile } from './types.js';
export { parseStages, parseStagesSliced, parseSingle, InstructionError } from './parse.js';
export { parseMount } from './mounts.js';
export { BuildArgs, expansionEnv, platformArgs, PROXY_ARGS, type PlatformArgs } from './args.js';
