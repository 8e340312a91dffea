// Booleans as Go's strconv.ParseBool reads them: kube-apiserver's boolean flags (pflag) and the
// boolean query parameters clients send (`true`, `True`, `1`...; the Python client sends `True`).

const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** strconv.ParseBool: undefined where Go returns a syntax error. */
export function parseBool(v: string): boolean | undefined {
  return TRUE.has(v) ? true : FALSE.has(v) ? false : undefined;
}

/** A boolean query value: true for ParseBool's true spellings; absent or anything else is false. */
export function isTrue(v: string | null): boolean {
  return v !== null && parseBool(v) === true;
}

export function queryBool(q: URLSearchParams, name: string): boolean {
  return isTrue(q.get(name));
}
