// Types of the Engine API as berthd speaks it, for clients (cli/) that may not
// import the daemon: type-only re-exports, nothing runs from here.
export type { BuildEvent } from '../daemon/index.js';
