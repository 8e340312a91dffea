// The server's floors, enforced in CI (`npm run lint`). Bottom to top:
//   api (ground floor) -> storage -> watch -> schema -> admission (CEL) -> registry
//   -> http, authn, authz, metrics, audit -> filters (the handler chain) -> endpoints -> apiextensions, controllers -> index/bootstrap/config.
// The harness (cli, env, etcd, pki, process) sits beside the server and may use it;
// the server never imports the harness.
const S = '^src/server/';
const floor = (name, allowed) => ({
  name: `${name}-floor`,
  comment: `src/server/${name} may import only ${allowed.length ? allowed.join(', ') : 'nothing else of the server'}`,
  severity: 'error',
  from: { path: `${S}${name}/` },
  to: { path: S, pathNot: [`${S}${name}/`, ...allowed.map((a) => `${S}${a}/`)] },
});

module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'server-not-harness',
      comment: 'the API server knows nothing of the harness',
      severity: 'error',
      from: { path: S },
      to: { path: '^src/(cli|env|etcd|pki|process)/' },
    },
    floor('api', []),
    floor('storage', ['api']),
    floor('watch', ['api', 'storage']),
    floor('schema', ['api']),
    floor('admission', ['api', 'schema']),
    floor('registry', ['api', 'storage', 'watch', 'schema', 'admission']),
    floor('http', ['api']),
    floor('authn', ['api', 'http']),
    floor('authz', ['api', 'http']),
    floor('metrics', ['api', 'http']),
    floor('audit', ['api', 'http', 'authz']),
    floor('filters', ['api', 'http', 'authn', 'authz', 'metrics', 'audit']),
    floor('endpoints', ['api', 'storage', 'watch', 'schema', 'admission', 'registry', 'http', 'authn', 'authz']),
    floor('apiextensions', ['api', 'storage', 'watch', 'schema', 'admission', 'registry', 'http', 'endpoints']),
    floor('controllers', ['api', 'storage', 'watch', 'schema', 'admission', 'registry', 'http', 'endpoints']),
    floor('debug', ['api', 'http']),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(dist|node_modules)/' },
  },
};
