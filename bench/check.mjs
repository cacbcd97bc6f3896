// Judges an adapter's ALB result against what the scenario expects, as the load balancer reads it:
// after the Lambda runtime's JSON round trip, headers from the field of the target group's mode,
// the body decoded from base64 when `isBase64Encoded` is true.

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function decodeBody(r) {
  if (r.body === undefined || r.body === null) return Buffer.alloc(0);
  if (typeof r.body !== 'string') return `body is ${typeof r.body}, not a string`;
  if (r.isBase64Encoded !== undefined && typeof r.isBase64Encoded !== 'boolean') {
    return `isBase64Encoded is ${JSON.stringify(r.isBase64Encoded)}, not a boolean`;
  }
  if (r.isBase64Encoded !== true) return Buffer.from(r.body, 'utf8');
  if (r.body.length % 4 !== 0 || !BASE64.test(r.body))
    return 'isBase64Encoded is true but body is not base64';
  return Buffer.from(r.body, 'base64');
}

function readHeaders(r, multiValue) {
  const field = multiValue ? 'multiValueHeaders' : 'headers';
  const other = multiValue ? 'headers' : 'multiValueHeaders';
  const mode = multiValue ? 'multi' : 'single';
  const map = r[field];
  if (map === undefined || map === null) {
    if (r[other] !== undefined && r[other] !== null) {
      return `result has "${other}" in ${mode}-value mode, where the ALB reads "${field}"`;
    }
    return new Map();
  }
  if (typeof map !== 'object' || Array.isArray(map)) return `"${field}" is not an object`;
  const out = new Map();
  for (const name of Object.keys(map)) {
    const raw = map[name];
    const values = multiValue ? raw : [raw];
    if (!Array.isArray(values) || values.some((v) => typeof v !== 'string')) {
      return `${field}[${JSON.stringify(name)}] is not ${multiValue ? 'an array of strings' : 'a string'}`;
    }
    const key = name.toLowerCase();
    out.set(key, [...(out.get(key) ?? []), ...values]);
  }
  return out;
}

function describeDifference(actual, expected) {
  if (actual.length !== expected.length) {
    const preview = actual.subarray(0, 60).toString('utf8').replace(/\s+/g, ' ');
    return `body is ${actual.length} bytes, expected ${expected.length} (starts ${JSON.stringify(preview)})`;
  }
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] !== expected[i]) return `body differs from the expected bytes at byte ${i}`;
  }
  return undefined;
}

/**
 * Returns `undefined` when the result is what the ALB must receive, or a short description of
 * what is wrong.
 */
export function judge(result, expected) {
  let r;
  try {
    r = JSON.parse(JSON.stringify(result));
  } catch (error) {
    return `result does not survive JSON serialization (${error.message})`;
  }
  if (typeof r !== 'object' || r === null || Array.isArray(r)) return `result is ${JSON.stringify(r)}`;
  if (r.statusCode !== expected.status) {
    return `statusCode ${JSON.stringify(r.statusCode)}, expected ${expected.status}`;
  }
  const headers = readHeaders(r, expected.multiValue);
  if (typeof headers === 'string') return headers;
  const body = decodeBody(r);
  if (typeof body === 'string') return body;
  const difference = describeDifference(body, expected.body);
  if (difference) return difference;
  for (const [name, value] of Object.entries(expected.headers)) {
    const got = headers.get(name);
    if (got === undefined) return `no ${name} header (expected ${JSON.stringify(value)})`;
    if (got.length !== 1 || got[0] !== value)
      return `${name} is ${JSON.stringify(got)}, expected ${JSON.stringify(value)}`;
  }
  const length = headers.get('content-length');
  if (length !== undefined && (length.length !== 1 || length[0] !== String(body.length))) {
    return `content-length ${JSON.stringify(length)} for a ${body.length}-byte body`;
  }
  const encoding = headers.get('transfer-encoding');
  if (encoding !== undefined) {
    return `transfer-encoding ${JSON.stringify(encoding)} on a whole body (a hop-by-hop header)`;
  }
  return undefined;
}
