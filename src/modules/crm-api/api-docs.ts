/**
 * The API documentation page's view model: the operations of the OpenAPI document, grouped by tag, each
 * with its parameters and the JSON schema of its body and answer, ready for thin templates.
 */
interface Parameter {
  in: string;
  name: string;
  required?: boolean;
  description?: string;
  schema?: { type?: string; format?: string; enum?: unknown[]; anyOf?: unknown[] };
}

interface Operation {
  summary?: string;
  description?: string;
  tags?: string[];
  parameters?: Parameter[];
  security?: unknown[];
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: unknown }> }>;
}

interface Document {
  info?: { title?: string; description?: string; version?: string };
  paths?: Record<string, Record<string, Operation>>;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

function typeOf(schema: Parameter['schema']): string {
  if (!schema) return '';
  if (schema.enum) return `one of ${schema.enum.join(', ')}`;
  if (schema.anyOf) {
    const values = (schema.anyOf as { const?: unknown }[]).map((s) => s.const).filter((v) => v !== undefined);
    if (values.length) return `one of ${values.join(', ')}`;
  }
  return [schema.type, schema.format].filter(Boolean).join(', ');
}

export function apiDocsView(document: Document) {
  const groups = new Map<string, unknown[]>();
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const tag = op.tags?.[0] ?? 'other';
      const id = `${method}-${path}`
        .replace(/[^a-z0-9]+/gi, '-')
        .replace(/-+$/, '')
        .toLowerCase();
      const body = op.requestBody?.content?.['application/json']?.schema;
      const answers = Object.entries(op.responses ?? {}).map(([status, r]) => ({
        status,
        schema: r.content ? JSON.stringify(Object.values(r.content)[0]?.schema ?? {}, null, 2) : '',
      }));
      if (!groups.has(tag)) groups.set(tag, []);
      groups.get(tag)!.push({
        id,
        method: method.toUpperCase(),
        path,
        summary: op.summary ?? '',
        description: op.description ?? '',
        needsKey: Boolean(op.security?.length),
        parameters: (op.parameters ?? [])
          .filter((p) => p.in !== 'header' || p.name === 'idempotency-key')
          .map((p) => ({
            name: p.in === 'header' ? 'Idempotency-Key' : p.name,
            where: p.in === 'path' ? 'in the path' : p.in === 'query' ? 'in the query' : 'header',
            required: p.required ? 'Required' : 'Optional',
            type: typeOf(p.schema),
            description: p.description ?? '',
          })),
        body: body ? JSON.stringify(body, null, 2) : '',
        answers,
      });
    }
  }
  return {
    pageTitle: `${document.info?.title ?? 'API'} documentation`,
    title: document.info?.title ?? 'API',
    description: document.info?.description ?? '',
    groups: [...groups].map(([tag, operations]) => ({ tag, operations })),
  };
}
