// The Dockerfile language: parsing (with positions) and variable expansion.
export { parseDockerfile, parseSteps, drain, dump, INSTRUCTIONS } from './parser.js';
export { DockerfileError, type Node, type Heredoc, type Directives, type ParseResult, type Warning } from './node.js';
export { expandWord, expandWords, referencedVars, globSource, ExpansionError, type Env } from './shell.js';
export { parseJSONArray, splitWordsKeepQuotes } from './args.js';
