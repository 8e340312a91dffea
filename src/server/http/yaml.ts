// The YAML library, loaded with the first YAML body or response: it is among
// the largest modules the server uses, and most clients only speak JSON.

import { createRequire } from 'node:module';

type YamlLib = typeof import('yaml');

let lib: YamlLib | undefined;

export function yaml(): YamlLib {
  return (lib ??= createRequire(import.meta.url)('yaml') as YamlLib);
}
