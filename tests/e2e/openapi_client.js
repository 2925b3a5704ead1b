// A client generated at run time from the OpenAPI documents by
// openapi-client-axios (tools/lint-npm/), driven by
// tests/e2e/test_openapi_clients.py.
//
//   NODE_PATH=tools/lint-npm/node_modules node openapi_client.js BASE
//
// Loads BASE/openapi-storefront.json and BASE/openapi-backend.json, one
// client per document; each takes its base URL from its document's servers,
// as generated clients do.  A relative server URL is resolved against the
// document's own URL (OpenAPI 3.0 "Server Object"), as a browser resolves it
// against the page.  Then reads one call per line on stdin,
//   {"api": "backend", "op": "listMfaTypes", "params": {...}, "data": {...},
//    "token": "..."}
// and writes one line per answer on stdout:
//   {"method", "uri" (the URL the client built), "path" (the request
//    line's target as sent), "status", "headers", "body"}.
'use strict';
const readline = require('readline');
const { OpenAPIClientAxios } = require('openapi-client-axios');

const base = process.argv[2];
const files = { storefront: 'openapi-storefront.json', backend: 'openapi-backend.json' };

async function clients() {
  const out = {};
  for (const [api, file] of Object.entries(files)) {
    const docUrl = new URL(file, base + '/').href;
    const oac = new OpenAPIClientAxios({ definition: docUrl });
    const client = await oac.init();
    // Relative server URL -> absolute, against the document's URL.
    client.interceptors.request.use((config) => {
      config.baseURL = new URL(config.baseURL || '', docUrl).href;
      return config;
    });
    client.defaults.validateStatus = () => true;
    out[api] = { oac, client };
  }
  return out;
}

async function main() {
  const apis = await clients();
  const ready = {};
  for (const [api, { oac }] of Object.entries(apis)) ready[api] = oac.getBaseURL();
  process.stdout.write(JSON.stringify({ ready }) + '\n');
  const rl = readline.createInterface({ input: process.stdin });
  for await (const line of rl) {
    const call = JSON.parse(line);
    const { client } = apis[call.api];
    const config = { headers: {} };
    if (call.token) config.headers.Authorization = 'Bearer ' + call.token;
    let out;
    try {
      const res = await client[call.op](call.params || null, call.data || null, config);
      const req = res.request;
      out = {
        method: req.method,
        uri: client.getUri(res.config),
        path: req.path,
        status: res.status,
        headers: res.headers,
        body: res.data === '' ? null : res.data,
      };
    } catch (e) {
      out = { error: String(e && e.stack || e) };
    }
    process.stdout.write(JSON.stringify(out) + '\n');
  }
}

main().catch((e) => {
  process.stdout.write(JSON.stringify({ error: String(e && e.stack || e) }) + '\n');
  process.exit(1);
});
