export { EngineClient, ApiError, ConnectError, CLIENT_API_VERSION, jsonLines, type RequestOptions } from './client.js';
export { connect, DEFAULT_HOST, BERTHD_NODE_FLAGS } from './connect.js';
