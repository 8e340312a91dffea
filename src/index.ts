// kapi-env: a real, throwaway Kubernetes API server for tests.

export type { ClientCredentials, RestResponse } from './env/client.js';
export { RestClient } from './env/client.js';
export type { Env, EnvOptions, Phase, StopReport } from './env/index.js';
export { startEnv } from './env/index.js';
export type { RequestExpectation } from './env/matchers.js';
export { requestMatchers } from './env/matchers.js';
export type { KubeObjectLike, ObjectRef, WaitOptions } from './env/wait.js';
export { objectMatchers, WaitTimeoutError, waitFor } from './env/wait.js';
export type { PermissionsReport, PermissionUse } from './server/authz/usage.js';
export { minimalRoles, minimalRolesYAML } from './server/authz/usage.js';
export type { ServerConfig } from './server/config.js';
export type { Fault, FaultSpec } from './server/debug/faults.js';
export type { JournalEntry, JournalQuery } from './server/debug/journal.js';
export type { ApiServer } from './server/index.js';
export { createApiServer } from './server/index.js';
