// An npm OAuth client against both token endpoints (contract §10.5), run by
// tests/e2e/test_oauth_clients.py: oauth4webapi discovers each side's
// authorization server by its RFC 8414 metadata (the back office's at the
// path RFC 8414 §3.1 inserts "/backend" into), then signs in with the
// password grant (genericTokenEndpointRequest: the library has no helper of
// its own for it), rotates, reuses, and meets invalid_client with and
// without the Authorization header.  Prints one JSON object of results.
//
//   node client.mjs BASE_URL CUSTOMER_EMAIL CUSTOMER_PASSWORD USER USER_PASSWORD
import { webcrypto } from 'node:crypto';

// Node 18 has no global WebCrypto without a flag; the library needs it.
if (globalThis.crypto === undefined) globalThis.crypto = webcrypto;
const oauth = await import('oauth4webapi');

const [base, email, password, user, userPassword] = process.argv.slice(2);

async function side(issuerUrl, username, pw, resource) {
  const out = {};
  const issuer = new URL(issuerUrl);
  const as = await oauth.processDiscoveryResponse(issuer,
    await oauth.discoveryRequest(issuer, { algorithm: 'oauth2' }));
  out.issuer = as.issuer;
  out.token_endpoint = as.token_endpoint;
  out.grant_types_supported = as.grant_types_supported;
  out.token_endpoint_auth_methods_supported = as.token_endpoint_auth_methods_supported;

  const client = { client_id: 'shop-pwa', token_endpoint_auth_method: 'none' };
  let r = await oauth.genericTokenEndpointRequest(as, client, 'password',
    { username, password: pw });
  const first = await oauth.processRefreshTokenResponse(as, client, r);
  out.password_grant = oauth.isOAuth2Error(first) ? first :
    { token_type: first.token_type, expires_in: first.expires_in };

  r = await oauth.protectedResourceRequest(first.access_token, 'GET',
    new URL(base + resource), new Headers({ accept: 'application/vnd.api+json' }));
  out.resource_status = r.status;

  r = await oauth.refreshTokenGrantRequest(as, client, first.refresh_token);
  const second = await oauth.processRefreshTokenResponse(as, client, r);
  out.refreshed = !oauth.isOAuth2Error(second) &&
    second.access_token !== first.access_token &&
    second.refresh_token !== first.refresh_token;

  r = await oauth.refreshTokenGrantRequest(as, client, first.refresh_token);
  const reused = await oauth.processRefreshTokenResponse(as, client, r);
  out.reused = oauth.isOAuth2Error(reused) ? reused : 'tokens';

  // A confidential client's secret: refused, and a challenge only when it
  // went in the Authorization header.
  for (const method of ['client_secret_post', 'client_secret_basic']) {
    const c = { client_id: 'shop-pwa', client_secret: 's3cret',
      token_endpoint_auth_method: method };
    r = await oauth.genericTokenEndpointRequest(as, c, 'password',
      { username, password: pw });
    const challenges = oauth.parseWwwAuthenticateChallenges(r) ?? null;
    const res = await oauth.processRefreshTokenResponse(as, c, r);
    out[method] = { status: r.status, challenges,
      error: oauth.isOAuth2Error(res) ? res.error : 'tokens' };
  }
  return out;
}

const result = {
  storefront: await side(base, email, password, '/customers'),
  backend: await side(base + '/backend', user, userPassword, '/backend/users'),
};
process.stdout.write(JSON.stringify(result) + '\n');
