// kapi-env: a real, throwaway Kubernetes API server for tests.

export type { ClientCredentials, RestResponse } from './env/client.js';
export { RestClient } from './env/client.js';
export type { Env, EnvOptions, Phase, StopReport } from './env/index.js';
export { startEnv } from './env/index.js';
export type { ServerConfig } from './server/config.js';
export type { ApiServer } from './server/index.js';
export { createApiServer } from './server/index.js';
