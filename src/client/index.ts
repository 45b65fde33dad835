export { EngineClient, ApiError, ConnectError, CLIENT_API_VERSION, type RequestOptions } from './client.js';
export { connect, DEFAULT_HOST } from './connect.js';
