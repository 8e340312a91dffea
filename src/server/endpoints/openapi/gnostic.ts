// The OpenAPI v2 document as protocol buffers, the form client-go asks for
// (`Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf`):
// the `openapi.v2.Document` message of google/gnostic, which kube-openapi
// produces from the JSON document (handler.ToProtoBinary). kubectl decodes it
// and builds its client-side validation models from the definitions
// (kube-openapi pkg/util/proto): `$ref`, `type`, `properties`, `items`,
// `additionalProperties`, `required` and vendor extensions, the latter as
// YAML text (`x-kubernetes-group-version-kind` names each kind's model).
//
// The message types are declared here with protobufjs reflection. Every
// gnostic message numbers its fields 1..n in declaration order, so each is
// written as its ordered field list.

import { createRequire } from 'node:module';
import type protobuf from 'protobufjs';

// protobufjs is loaded with the first protobuf OpenAPI request, not with every server start.
let protobufjs: typeof protobuf | undefined;
const lib = (): typeof protobuf => (protobufjs ??= createRequire(import.meta.url)('protobufjs') as typeof protobuf);

type Json = Record<string, unknown>;

/** `[type, name]` or `[type, name, 'repeated']`; field numbers follow list order from 1. */
type FieldSpec = [string, string] | [string, string, 'repeated'];

const VE: FieldSpec = ['NamedAny', 'vendorExtension', 'repeated'];

/** The validation keywords shared by non-body parameters, headers and primitive items. */
const PRIMITIVE: FieldSpec[] = [
  ['string', 'type'],
  ['string', 'format'],
  ['PrimitivesItems', 'items'],
  ['string', 'collectionFormat'],
  ['Any', 'default'],
  ['double', 'maximum'],
  ['bool', 'exclusiveMaximum'],
  ['double', 'minimum'],
  ['bool', 'exclusiveMinimum'],
  ['int64', 'maxLength'],
  ['int64', 'minLength'],
  ['string', 'pattern'],
  ['int64', 'maxItems'],
  ['int64', 'minItems'],
  ['bool', 'uniqueItems'],
  ['Any', 'enum', 'repeated'],
  ['double', 'multipleOf'],
];

const PARAM_HEAD: FieldSpec[] = [
  ['bool', 'required'],
  ['string', 'in'],
  ['string', 'description'],
  ['string', 'name'],
];

const named = (value: string): FieldSpec[] => [
  ['string', 'name'],
  [value, 'value'],
];
const oauth2 = (...middle: string[]): FieldSpec[] => [
  ['string', 'type'],
  ['string', 'flow'],
  ['Oauth2Scopes', 'scopes'],
  ...middle.map((m): FieldSpec => ['string', m]),
  ['string', 'description'],
  VE,
];

/** Plain messages. */
const MESSAGES: Record<string, FieldSpec[]> = {
  Any: [
    ['google.protobuf.Any', 'value'],
    ['string', 'yaml'],
  ],
  ApiKeySecurity: [['string', 'type'], ['string', 'name'], ['string', 'in'], ['string', 'description'], VE],
  BasicAuthenticationSecurity: [['string', 'type'], ['string', 'description'], VE],
  BodyParameter: [['string', 'description'], ['string', 'name'], ['string', 'in'], ['bool', 'required'], ['Schema', 'schema'], VE],
  Contact: [['string', 'name'], ['string', 'url'], ['string', 'email'], VE],
  Default: [['NamedAny', 'additionalProperties', 'repeated']],
  Definitions: [['NamedSchema', 'additionalProperties', 'repeated']],
  Document: [
    ['string', 'swagger'],
    ['Info', 'info'],
    ['string', 'host'],
    ['string', 'basePath'],
    ['string', 'schemes', 'repeated'],
    ['string', 'consumes', 'repeated'],
    ['string', 'produces', 'repeated'],
    ['Paths', 'paths'],
    ['Definitions', 'definitions'],
    ['ParameterDefinitions', 'parameters'],
    ['ResponseDefinitions', 'responses'],
    ['SecurityRequirement', 'security', 'repeated'],
    ['SecurityDefinitions', 'securityDefinitions'],
    ['Tag', 'tags', 'repeated'],
    ['ExternalDocs', 'externalDocs'],
    VE,
  ],
  Examples: [['NamedAny', 'additionalProperties', 'repeated']],
  ExternalDocs: [['string', 'description'], ['string', 'url'], VE],
  FileSchema: [
    ['string', 'format'],
    ['string', 'title'],
    ['string', 'description'],
    ['Any', 'default'],
    ['string', 'required', 'repeated'],
    ['string', 'type'],
    ['bool', 'readOnly'],
    ['ExternalDocs', 'externalDocs'],
    ['Any', 'example'],
    VE,
  ],
  FormDataParameterSubSchema: [...PARAM_HEAD, ['bool', 'allowEmptyValue'], ...PRIMITIVE, VE],
  Header: [...PRIMITIVE, ['string', 'description'], VE],
  HeaderParameterSubSchema: [...PARAM_HEAD, ...PRIMITIVE, VE],
  Headers: [['NamedHeader', 'additionalProperties', 'repeated']],
  Info: [
    ['string', 'title'],
    ['string', 'version'],
    ['string', 'description'],
    ['string', 'termsOfService'],
    ['Contact', 'contact'],
    ['License', 'license'],
    VE,
  ],
  ItemsItem: [['Schema', 'schema', 'repeated']],
  JsonReference: [
    ['string', 'ref'],
    ['string', 'description'],
  ],
  License: [['string', 'name'], ['string', 'url'], VE],
  NamedAny: named('Any'),
  NamedHeader: named('Header'),
  NamedParameter: named('Parameter'),
  NamedPathItem: named('PathItem'),
  NamedResponse: named('Response'),
  NamedResponseValue: named('ResponseValue'),
  NamedSchema: named('Schema'),
  NamedSecurityDefinitionsItem: named('SecurityDefinitionsItem'),
  NamedString: named('string'),
  NamedStringArray: named('StringArray'),
  Oauth2AccessCodeSecurity: oauth2('authorizationUrl', 'tokenUrl'),
  Oauth2ApplicationSecurity: oauth2('tokenUrl'),
  Oauth2ImplicitSecurity: oauth2('authorizationUrl'),
  Oauth2PasswordSecurity: oauth2('tokenUrl'),
  Oauth2Scopes: [['NamedString', 'additionalProperties', 'repeated']],
  Operation: [
    ['string', 'tags', 'repeated'],
    ['string', 'summary'],
    ['string', 'description'],
    ['ExternalDocs', 'externalDocs'],
    ['string', 'operationId'],
    ['string', 'produces', 'repeated'],
    ['string', 'consumes', 'repeated'],
    ['ParametersItem', 'parameters', 'repeated'],
    ['Responses', 'responses'],
    ['string', 'schemes', 'repeated'],
    ['bool', 'deprecated'],
    ['SecurityRequirement', 'security', 'repeated'],
    VE,
  ],
  ParameterDefinitions: [['NamedParameter', 'additionalProperties', 'repeated']],
  PathItem: [
    ['string', 'ref'],
    ['Operation', 'get'],
    ['Operation', 'put'],
    ['Operation', 'post'],
    ['Operation', 'delete'],
    ['Operation', 'options'],
    ['Operation', 'head'],
    ['Operation', 'patch'],
    ['ParametersItem', 'parameters', 'repeated'],
    VE,
  ],
  PathParameterSubSchema: [...PARAM_HEAD, ...PRIMITIVE, VE],
  Paths: [VE, ['NamedPathItem', 'path', 'repeated']],
  PrimitivesItems: [...PRIMITIVE, VE],
  Properties: [['NamedSchema', 'additionalProperties', 'repeated']],
  QueryParameterSubSchema: [...PARAM_HEAD, ['bool', 'allowEmptyValue'], ...PRIMITIVE, VE],
  Response: [['string', 'description'], ['SchemaItem', 'schema'], ['Headers', 'headers'], ['Examples', 'examples'], VE],
  ResponseDefinitions: [['NamedResponse', 'additionalProperties', 'repeated']],
  Responses: [['NamedResponseValue', 'responseCode', 'repeated'], VE],
  Schema: [
    ['string', 'ref'],
    ['string', 'format'],
    ['string', 'title'],
    ['string', 'description'],
    ['Any', 'default'],
    ['double', 'multipleOf'],
    ['double', 'maximum'],
    ['bool', 'exclusiveMaximum'],
    ['double', 'minimum'],
    ['bool', 'exclusiveMinimum'],
    ['int64', 'maxLength'],
    ['int64', 'minLength'],
    ['string', 'pattern'],
    ['int64', 'maxItems'],
    ['int64', 'minItems'],
    ['bool', 'uniqueItems'],
    ['int64', 'maxProperties'],
    ['int64', 'minProperties'],
    ['string', 'required', 'repeated'],
    ['Any', 'enum', 'repeated'],
    ['AdditionalPropertiesItem', 'additionalProperties'],
    ['TypeItem', 'type'],
    ['ItemsItem', 'items'],
    ['Schema', 'allOf', 'repeated'],
    ['Properties', 'properties'],
    ['string', 'discriminator'],
    ['bool', 'readOnly'],
    ['Xml', 'xml'],
    ['ExternalDocs', 'externalDocs'],
    ['Any', 'example'],
    VE,
  ],
  SecurityDefinitions: [['NamedSecurityDefinitionsItem', 'additionalProperties', 'repeated']],
  SecurityRequirement: [['NamedStringArray', 'additionalProperties', 'repeated']],
  StringArray: [['string', 'value', 'repeated']],
  Tag: [['string', 'name'], ['string', 'description'], ['ExternalDocs', 'externalDocs'], VE],
  TypeItem: [['string', 'value', 'repeated']],
  VendorExtension: [['NamedAny', 'additionalProperties', 'repeated']],
  Xml: [['string', 'name'], ['string', 'namespace'], ['string', 'prefix'], ['bool', 'attribute'], ['bool', 'wrapped'], VE],
};

/** Messages that are one `oneof` (gnostic names it `oneof`) over their fields. */
const ONEOFS: Record<string, FieldSpec[]> = {
  AdditionalPropertiesItem: [
    ['Schema', 'schema'],
    ['bool', 'boolean'],
  ],
  NonBodyParameter: [
    ['HeaderParameterSubSchema', 'headerParameterSubSchema'],
    ['FormDataParameterSubSchema', 'formDataParameterSubSchema'],
    ['QueryParameterSubSchema', 'queryParameterSubSchema'],
    ['PathParameterSubSchema', 'pathParameterSubSchema'],
  ],
  Parameter: [
    ['BodyParameter', 'bodyParameter'],
    ['NonBodyParameter', 'nonBodyParameter'],
  ],
  ParametersItem: [
    ['Parameter', 'parameter'],
    ['JsonReference', 'jsonReference'],
  ],
  ResponseValue: [
    ['Response', 'response'],
    ['JsonReference', 'jsonReference'],
  ],
  SchemaItem: [
    ['Schema', 'schema'],
    ['FileSchema', 'fileSchema'],
  ],
  SecurityDefinitionsItem: [
    ['BasicAuthenticationSecurity', 'basicAuthenticationSecurity'],
    ['ApiKeySecurity', 'apiKeySecurity'],
    ['Oauth2ImplicitSecurity', 'oauth2ImplicitSecurity'],
    ['Oauth2PasswordSecurity', 'oauth2PasswordSecurity'],
    ['Oauth2ApplicationSecurity', 'oauth2ApplicationSecurity'],
    ['Oauth2AccessCodeSecurity', 'oauth2AccessCodeSecurity'],
  ],
};

function messageType(name: string, fields: FieldSpec[], oneof: boolean): protobuf.Type {
  const { Type, Field, OneOf } = lib();
  const t = new Type(name);
  for (const [i, [type, fname, rule]] of fields.entries()) t.add(new Field(fname, i + 1, type, rule));
  if (oneof)
    t.add(
      new OneOf(
        'oneof',
        fields.map(([, fname]) => fname),
      ),
    );
  return t;
}

let documentType: protobuf.Type | undefined;

/** The `openapi.v2.Document` message type (resolved once). */
export function gnosticDocumentType(): protobuf.Type {
  if (documentType) return documentType;
  const { Root, Type, Field } = lib();
  const root = new Root();
  const any = new Type('Any').add(new Field('typeUrl', 1, 'string')).add(new Field('value', 2, 'bytes'));
  root.define('google.protobuf').add(any);
  const ns = root.define('openapi.v2');
  for (const [name, fields] of Object.entries(MESSAGES)) ns.add(messageType(name, fields, false));
  for (const [name, fields] of Object.entries(ONEOFS)) ns.add(messageType(name, fields, true));
  root.resolveAll();
  documentType = root.lookupType('openapi.v2.Document');
  return documentType;
}

// ---- JSON document -> gnostic message (what gnostic's compiler builds from the JSON) ----

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * gnostic keeps values it has no message for (defaults, examples, enums,
 * extensions) as YAML text. JSON is YAML (flow style, every string quoted),
 * reads back to the same value with any YAML parser, and costs a fraction of
 * a block-style emitter on a document of this size.
 */
function anyOf(v: unknown): Json {
  return { yaml: `${JSON.stringify(v)}\n` };
}

function extensions(o: Json): Json[] {
  return Object.keys(o)
    .filter((k) => k.startsWith('x-'))
    .map((k) => ({ name: k, value: anyOf(o[k]) }));
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function bool(v: unknown): boolean | undefined {
  return v === true ? true : undefined;
}

function strings(v: unknown): string[] | undefined {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined;
}

/** Drops unset fields so the message carries only what the JSON had. */
function compact(o: Json): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(o))
    if (v !== undefined && !(Array.isArray(v) && v.length === 0 && k === 'vendorExtension')) out[k] = v;
  return out;
}

function externalDocs(v: unknown): Json | undefined {
  return isObject(v) ? compact({ description: str(v.description), url: str(v.url), vendorExtension: extensions(v) }) : undefined;
}

/** JSON Schema keywords gnostic's Schema carries; v3-only keywords (anyOf, nullable...) have no place in v2. */
export function gnosticSchema(s: Json): Json {
  const items = s.items;
  const props = s.properties;
  const ap = s.additionalProperties;
  return compact({
    ref: str(s.$ref),
    format: str(s.format),
    title: str(s.title),
    description: str(s.description),
    default: 'default' in s ? anyOf(s.default) : undefined,
    multipleOf: num(s.multipleOf),
    maximum: num(s.maximum),
    exclusiveMaximum: bool(s.exclusiveMaximum),
    minimum: num(s.minimum),
    exclusiveMinimum: bool(s.exclusiveMinimum),
    maxLength: num(s.maxLength),
    minLength: num(s.minLength),
    pattern: str(s.pattern),
    maxItems: num(s.maxItems),
    minItems: num(s.minItems),
    uniqueItems: bool(s.uniqueItems),
    maxProperties: num(s.maxProperties),
    minProperties: num(s.minProperties),
    required: strings(s.required),
    enum: Array.isArray(s.enum) ? s.enum.map(anyOf) : undefined,
    additionalProperties: typeof ap === 'boolean' ? { boolean: ap } : isObject(ap) ? { schema: gnosticSchema(ap) } : undefined,
    type: typeof s.type === 'string' ? { value: [s.type] } : Array.isArray(s.type) ? { value: strings(s.type) } : undefined,
    items: isObject(items)
      ? { schema: [gnosticSchema(items)] }
      : Array.isArray(items)
        ? { schema: items.filter(isObject).map(gnosticSchema) }
        : undefined,
    allOf: Array.isArray(s.allOf) ? s.allOf.filter(isObject).map(gnosticSchema) : undefined,
    properties: isObject(props)
      ? {
          additionalProperties: Object.entries(props)
            .filter(([, v]) => isObject(v))
            .map(([name, v]) => ({ name, value: gnosticSchema(v as Json) })),
        }
      : undefined,
    discriminator: str(s.discriminator),
    readOnly: bool(s.readOnly),
    xml: isObject(s.xml)
      ? compact({
          name: str(s.xml.name),
          namespace: str(s.xml.namespace),
          prefix: str(s.xml.prefix),
          attribute: bool(s.xml.attribute),
          wrapped: bool(s.xml.wrapped),
          vendorExtension: extensions(s.xml),
        })
      : undefined,
    externalDocs: externalDocs(s.externalDocs),
    example: 'example' in s ? anyOf(s.example) : undefined,
    vendorExtension: extensions(s),
  });
}

function primitives(p: Json): Json {
  return {
    type: str(p.type),
    format: str(p.format),
    items: isObject(p.items) ? compact(primitives(p.items)) : undefined,
    collectionFormat: str(p.collectionFormat),
    default: 'default' in p ? anyOf(p.default) : undefined,
    maximum: num(p.maximum),
    exclusiveMaximum: bool(p.exclusiveMaximum),
    minimum: num(p.minimum),
    exclusiveMinimum: bool(p.exclusiveMinimum),
    maxLength: num(p.maxLength),
    minLength: num(p.minLength),
    pattern: str(p.pattern),
    maxItems: num(p.maxItems),
    minItems: num(p.minItems),
    uniqueItems: bool(p.uniqueItems),
    enum: Array.isArray(p.enum) ? p.enum.map(anyOf) : undefined,
    multipleOf: num(p.multipleOf),
    vendorExtension: extensions(p),
  };
}

const NON_BODY: Record<string, string> = {
  header: 'headerParameterSubSchema',
  formData: 'formDataParameterSubSchema',
  query: 'queryParameterSubSchema',
  path: 'pathParameterSubSchema',
};

function parameter(p: Json): Json {
  if (p.in === 'body') {
    return {
      bodyParameter: compact({
        description: str(p.description),
        name: str(p.name),
        in: 'body',
        required: bool(p.required),
        schema: isObject(p.schema) ? gnosticSchema(p.schema) : undefined,
        vendorExtension: extensions(p),
      }),
    };
  }
  const key = NON_BODY[String(p.in)] ?? 'queryParameterSubSchema';
  const withEmpty = key === 'queryParameterSubSchema' || key === 'formDataParameterSubSchema';
  return {
    nonBodyParameter: {
      [key]: compact({
        required: bool(p.required),
        in: str(p.in),
        description: str(p.description),
        name: str(p.name),
        allowEmptyValue: withEmpty ? bool(p.allowEmptyValue) : undefined,
        ...primitives(p),
      }),
    },
  };
}

function parametersItem(p: unknown): Json {
  if (!isObject(p)) return {};
  if (typeof p.$ref === 'string') return { jsonReference: compact({ ref: p.$ref, description: str(p.description) }) };
  return { parameter: parameter(p) };
}

function parameters(v: unknown): Json[] | undefined {
  return Array.isArray(v) ? v.map(parametersItem) : undefined;
}

function responseValue(r: unknown): Json {
  if (!isObject(r)) return {};
  if (typeof r.$ref === 'string') return { jsonReference: compact({ ref: r.$ref, description: str(r.description) }) };
  const headers = isObject(r.headers)
    ? {
        additionalProperties: Object.entries(r.headers)
          .filter(([, h]) => isObject(h))
          .map(([name, h]) => ({ name, value: compact({ ...primitives(h as Json), description: str((h as Json).description) }) })),
      }
    : undefined;
  return {
    response: compact({
      description: str(r.description),
      schema: isObject(r.schema)
        ? r.schema.type === 'file'
          ? {
              fileSchema: compact({
                type: 'file',
                description: str(r.schema.description),
                format: str(r.schema.format),
                title: str(r.schema.title),
              }),
            }
          : { schema: gnosticSchema(r.schema) }
        : undefined,
      headers,
      examples: isObject(r.examples)
        ? { additionalProperties: Object.entries(r.examples).map(([name, v]) => ({ name, value: anyOf(v) })) }
        : undefined,
      vendorExtension: extensions(r),
    }),
  };
}

function security(v: unknown): Json[] | undefined {
  if (!Array.isArray(v)) return undefined;
  return v.filter(isObject).map((req) => ({
    additionalProperties: Object.entries(req).map(([name, scopes]) => ({ name, value: { value: strings(scopes) ?? [] } })),
  }));
}

function operation(o: Json): Json {
  return compact({
    tags: strings(o.tags),
    summary: str(o.summary),
    description: str(o.description),
    externalDocs: externalDocs(o.externalDocs),
    operationId: str(o.operationId),
    produces: strings(o.produces),
    consumes: strings(o.consumes),
    parameters: parameters(o.parameters),
    responses: isObject(o.responses)
      ? compact({
          responseCode: Object.entries(o.responses)
            .filter(([k]) => !k.startsWith('x-'))
            .map(([name, r]) => ({ name, value: responseValue(r) })),
          vendorExtension: extensions(o.responses),
        })
      : undefined,
    schemes: strings(o.schemes),
    deprecated: bool(o.deprecated),
    security: security(o.security),
    vendorExtension: extensions(o),
  });
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'] as const;

function pathItem(item: Json): Json {
  const out: Json = { ref: str(item.$ref), parameters: parameters(item.parameters), vendorExtension: extensions(item) };
  for (const m of METHODS) if (isObject(item[m])) out[m] = operation(item[m] as Json);
  return compact(out);
}

function securityScheme(s: Json): Json {
  const base = { type: str(s.type), description: str(s.description), vendorExtension: extensions(s) };
  const scopes = isObject(s.scopes)
    ? { additionalProperties: Object.entries(s.scopes).map(([name, value]) => ({ name, value: String(value) })) }
    : undefined;
  const oauth = { ...base, flow: str(s.flow), scopes };
  switch (s.type) {
    case 'basic':
      return { basicAuthenticationSecurity: compact(base) };
    case 'apiKey':
      return { apiKeySecurity: compact({ ...base, name: str(s.name), in: str(s.in) }) };
    default:
      switch (s.flow) {
        case 'implicit':
          return { oauth2ImplicitSecurity: compact({ ...oauth, authorizationUrl: str(s.authorizationUrl) }) };
        case 'password':
          return { oauth2PasswordSecurity: compact({ ...oauth, tokenUrl: str(s.tokenUrl) }) };
        case 'application':
          return { oauth2ApplicationSecurity: compact({ ...oauth, tokenUrl: str(s.tokenUrl) }) };
        default:
          return { oauth2AccessCodeSecurity: compact({ ...oauth, authorizationUrl: str(s.authorizationUrl), tokenUrl: str(s.tokenUrl) }) };
      }
  }
}

function namedMap<T>(v: unknown, f: (x: Json) => T): Array<{ name: string; value: T }> {
  return isObject(v)
    ? Object.entries(v)
        .filter(([k, x]) => !k.startsWith('x-') && isObject(x))
        .map(([name, x]) => ({ name, value: f(x as Json) }))
    : [];
}

/** The gnostic `Document` message (as a plain object for protobufjs) of a Swagger 2.0 JSON document. */
export function gnosticDocument(doc: Json): Json {
  const info = isObject(doc.info) ? doc.info : undefined;
  return compact({
    swagger: str(doc.swagger),
    info:
      info &&
      compact({
        title: str(info.title),
        version: str(info.version),
        description: str(info.description),
        termsOfService: str(info.termsOfService),
        vendorExtension: extensions(info),
      }),
    host: str(doc.host),
    basePath: str(doc.basePath),
    schemes: strings(doc.schemes),
    consumes: strings(doc.consumes),
    produces: strings(doc.produces),
    paths: isObject(doc.paths) ? compact({ vendorExtension: extensions(doc.paths), path: namedMap(doc.paths, pathItem) }) : undefined,
    definitions: isObject(doc.definitions) ? { additionalProperties: namedMap(doc.definitions, gnosticSchema) } : undefined,
    parameters: isObject(doc.parameters) ? { additionalProperties: namedMap(doc.parameters, parameter) } : undefined,
    responses: isObject(doc.responses)
      ? { additionalProperties: namedMap(doc.responses, (r) => responseValue(r).response ?? {}) }
      : undefined,
    security: security(doc.security),
    securityDefinitions: isObject(doc.securityDefinitions)
      ? { additionalProperties: namedMap(doc.securityDefinitions, securityScheme) }
      : undefined,
    tags: Array.isArray(doc.tags)
      ? doc.tags.filter(isObject).map((t) =>
          compact({
            name: str(t.name),
            description: str(t.description),
            externalDocs: externalDocs(t.externalDocs),
            vendorExtension: extensions(t),
          }),
        )
      : undefined,
    externalDocs: externalDocs(doc.externalDocs),
    vendorExtension: extensions(doc),
  });
}

/** Serializes a Swagger 2.0 JSON document as the gnostic protobuf kube-openapi serves. */
export function encodeOpenAPIV2Protobuf(doc: Json): Buffer {
  const bytes = gnosticDocumentType().encode(gnosticDocument(doc)).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Decodes the gnostic protobuf back to a plain object (camelCase field names, int64 as numbers). */
export function decodeOpenAPIV2Protobuf(bytes: Uint8Array): Json {
  const t = gnosticDocumentType();
  return t.toObject(t.decode(bytes), { longs: Number, arrays: false, defaults: false, oneofs: false }) as Json;
}
