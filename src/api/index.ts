// The Engine API: the server for berthd, and the wire types the client shares.
export { listen, buildRouter, type ApiServer } from './server.js';
