/**
 * A council back-office system that speaks Open311 GeoReport v2 with mySociety's update extension, over
 * real HTTP on 127.0.0.1: what a highways system behind an Open311 adapter answers. It stands in for
 * systems that cannot be reached from here, and speaks their documented protocol (XML, form-encoded
 * POSTs, `<errors>` bodies, `servicerequestupdates`), recording what it was sent so tests can check the
 * wire. The test adds the updates its officers "make" with `addUpdate`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedPost {
  path: string;
  contentType: string;
  /** Every field, repeated keys kept in order. */
  fields: [string, string][];
  raw: string;
}

export interface BackOfficeUpdate {
  updateId: string;
  serviceRequestId: string;
  status: string;
  description: string;
  updatedAt: Date;
}

export interface Open311BackOffice {
  /** The endpoint base, like http://127.0.0.1:41234/open311/v2 */
  endpoint: string;
  requests: ReceivedPost[];
  postedUpdates: ReceivedPost[];
  updateQueries: URLSearchParams[];
  /** The next `n` calls answer 500 with an `<errors>` body. */
  failNext(n: number): void;
  /** Answer new requests with a token only (a "batch" server); the id appears after `pollsBeforeId` polls. */
  useTokens(pollsBeforeId: number): void;
  addUpdate(update: BackOfficeUpdate): void;
  field(post: ReceivedPost, name: string): string | undefined;
  close(): Promise<void>;
}

const XML_HEAD = '<?xml version="1.0" encoding="utf-8"?>';
const w3c = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export async function startOpen311BackOffice(apiKey: string): Promise<Open311BackOffice> {
  const requests: ReceivedPost[] = [];
  const postedUpdates: ReceivedPost[] = [];
  const updateQueries: URLSearchParams[] = [];
  const updates: BackOfficeUpdate[] = [];
  const tokens = new Map<string, { id: string; pollsLeft: number }>();
  let failures = 0;
  let tokenPolls: number | undefined;
  let nextId = 1000;

  const send = (res: http.ServerResponse, status: number, body: string) => {
    res.writeHead(status, { 'content-type': 'text/xml; charset=utf-8' });
    res.end(`${XML_HEAD}\n${body}`);
  };
  const error = (res: http.ServerResponse, status: number, description: string) =>
    send(
      res,
      status,
      `<errors><error><code>${status}</code><description>${esc(description)}</description></error></errors>`,
    );

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const path = url.pathname.replace(/^\/open311\/v2\//, '');
      const raw = Buffer.concat(chunks).toString('utf8');
      if (failures > 0) {
        failures--;
        return error(res, 500, 'The back office is down for maintenance');
      }
      if (req.method === 'POST') {
        const fields = [...new URLSearchParams(raw).entries()];
        const post = { path, contentType: req.headers['content-type'] ?? '', fields, raw };
        const key = fields.find(([k]) => k === 'api_key')?.[1];
        if (key !== apiKey)
          return error(res, 403, "Invalid api_key received -- can't proceed with create_request.");
        if (path === 'requests.xml') {
          requests.push(post);
          const id = String(nextId++);
          if (tokenPolls !== undefined) {
            const token = `tok-${id}`;
            tokens.set(token, { id, pollsLeft: tokenPolls });
            return send(
              res,
              200,
              `<service_requests><request><token>${token}</token></request></service_requests>`,
            );
          }
          return send(
            res,
            200,
            `<service_requests><request><service_request_id>${id}</service_request_id><service_notice></service_notice></request></service_requests>`,
          );
        }
        if (path === 'servicerequestupdates.xml') {
          postedUpdates.push(post);
          return send(
            res,
            200,
            `<service_request_updates><request_update><update_id>bo-${postedUpdates.length}</update_id></request_update></service_request_updates>`,
          );
        }
        return error(res, 404, `No such resource: ${path}`);
      }
      const token = /^tokens\/(.+)\.xml$/.exec(path)?.[1];
      if (token) {
        const known = tokens.get(token);
        if (!known) return error(res, 404, 'Unknown token');
        if (known.pollsLeft > 0) {
          known.pollsLeft--;
          return send(
            res,
            200,
            `<service_requests><request><token>${token}</token></request></service_requests>`,
          );
        }
        return send(
          res,
          200,
          `<service_requests><request><service_request_id>${known.id}</service_request_id><token>${token}</token></request></service_requests>`,
        );
      }
      if (path === 'servicerequestupdates.xml') {
        updateQueries.push(url.searchParams);
        if (url.searchParams.get('api_key') !== apiKey) return error(res, 403, 'Invalid api_key');
        const start = new Date(url.searchParams.get('start_date') ?? 0);
        const end = new Date(url.searchParams.get('end_date') ?? Date.now());
        const items = updates
          .filter((u) => u.updatedAt >= start && u.updatedAt <= end)
          .map(
            (u) =>
              `<request_update><update_id>${u.updateId}</update_id><service_request_id>${u.serviceRequestId}</service_request_id><status>${u.status}</status><updated_datetime>${w3c(u.updatedAt)}</updated_datetime><description>${esc(u.description)}</description><media_url></media_url></request_update>`,
          )
          .join('');
        return send(res, 200, `<service_request_updates>${items}</service_request_updates>`);
      }
      return error(res, 404, `No such resource: ${path}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}/open311/v2`,
    requests,
    postedUpdates,
    updateQueries,
    failNext: (n) => (failures = n),
    useTokens: (polls) => (tokenPolls = polls),
    addUpdate: (update) => updates.push(update),
    field: (post, name) => post.fields.find(([k]) => k === name)?.[1],
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
