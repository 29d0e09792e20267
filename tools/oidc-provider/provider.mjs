// provider.mjs runs node oidc-provider as an OpenID Connect test peer for castellan.
// It is started by internal/testpeers (StartOIDCProvider) from .tools/oidc-provider, where
// scripts/install-test-tools copies it next to the pinned node_modules.
//
// Configuration comes from the environment only:
//   PORT      (required) TCP port to listen on; the host is always 127.0.0.1.
//   ISSUER    issuer URL; default http://127.0.0.1:$PORT.
//   CLIENTS   JSON array of client metadata passed to oidc-provider as is; default one
//             confidential client "vault-rp" with redirect http://127.0.0.1:8080/sso/oidc/callback.
//   ACCOUNTS  JSON object login -> claims ({email, email_verified, name, preferred_username,
//             groups}); the login is the sub. Default alice and bob. Logins not listed still
//             sign in (the dev interaction accepts any login and password) with
//             <login>@example.com.
//   CONFORM_ID_TOKEN_CLAIMS  "false" puts the scope claims into the ID token as well; anything
//             else keeps oidc-provider's default (only sub etc. in the ID token, the rest from
//             userinfo).
//   COOKIE_KEY  cookie signing key (test-only default).
import Provider from 'oidc-provider';

const port = Number.parseInt(process.env.PORT ?? '', 10);
if (!Number.isInteger(port) || port <= 0) {
  console.error('provider.mjs: PORT must be set to a TCP port');
  process.exit(2);
}
const issuer = process.env.ISSUER || `http://127.0.0.1:${port}`;

const defaultClients = [{
  client_id: 'vault-rp',
  client_secret: 'vault-rp-secret',
  redirect_uris: ['http://127.0.0.1:8080/sso/oidc/callback'],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
}];

const defaultAccounts = {
  alice: {
    email: 'alice@example.com', email_verified: true, name: 'Alice Example',
    preferred_username: 'alice', groups: ['engineering', 'vault-admins'],
  },
  bob: {
    email: 'bob@example.com', email_verified: true, name: 'Bob Example',
    preferred_username: 'bob', groups: ['sales'],
  },
};

function parseJSON(name, fallback) {
  const raw = process.env[name];
  if (!raw) return fallback;
  try {
    return JSON.parse(raw);
  } catch (err) {
    console.error(`provider.mjs: ${name} is not valid JSON: ${err.message}`);
    process.exit(2);
  }
}

const clients = parseJSON('CLIENTS', defaultClients);
const accounts = parseJSON('ACCOUNTS', defaultAccounts);

// claimsFor returns the claim set of a login. The dev interaction makes the login the
// accountId, and oidc-provider wants sub === accountId, so sub is always the login.
function claimsFor(login) {
  const known = accounts[login];
  if (known) return { ...known, sub: login };
  return { sub: login, email: `${login}@example.com`, email_verified: true, name: login };
}

const provider = new Provider(issuer, {
  clients,
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username'],
    groups: ['groups'],
  },
  scopes: ['openid', 'email', 'profile', 'groups', 'offline_access'],
  pkce: { required: () => false },
  conformIdTokenClaims: process.env.CONFORM_ID_TOKEN_CLAIMS !== 'false',
  cookies: { keys: [process.env.COOKIE_KEY || 'castellan-test-only-cookie-key'] },
  // Log the cause of error pages: the test only sees the HTML.
  async renderError(ctx, out, error) {
    console.error('oidc-provider error page:', JSON.stringify(out), error?.stack ?? error);
    ctx.type = 'json';
    ctx.body = out;
  },
  async findAccount(ctx, sub) {
    const claims = claimsFor(sub);
    return { accountId: claims.sub, async claims() { return claims; } };
  },
});

provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening issuer=${issuer} port=${port}`);
});

for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => process.exit(0));
}
