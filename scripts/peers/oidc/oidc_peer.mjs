// An OpenID provider standing in for Okta in the tests: client credentials with private_key_jwt
// (RS256 and ES256, replayed assertion jti refused) and client_secret_basic, discovery, JWT access
// tokens for the audience sts.amazonaws.com, and an RFC 8693 token-exchange grant.
//
// Usage: node oidc_peer.mjs FIXTURE.json   (writes the fixture, then serves until terminated)
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { renameSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import Provider, { errors } from 'oidc-provider'

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange'
const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token'
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token'
const RESOURCE = 'urn:looker-ci:aws'
const resourceServer = { scope: 'looker', audience: 'sts.amazonaws.com', accessTokenFormat: 'jwt', accessTokenTTL: 300 }

const fixturePath = process.argv[2]
const server = createServer()
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
const issuer = `http://127.0.0.1:${server.address().port}`

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const publicJwk = (pair, kid, alg) => ({ ...pair.publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' })
const pkcs8 = (pair) => pair.privateKey.export({ format: 'pem', type: 'pkcs8' })
const signing = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' })
const basicSecret = randomBytes(24).toString('base64url')

const common = { grant_types: ['client_credentials', TOKEN_EXCHANGE], response_types: [], redirect_uris: [] }
const provider = new Provider(issuer, {
  clients: [
    { ...common, client_id: 'looker-ci-rs256', token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'RS256', jwks: { keys: [publicJwk(rsa, 'ci-rs256', 'RS256')] } },
    { ...common, client_id: 'looker-ci-es256', token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'ES256', jwks: { keys: [publicJwk(ec, 'ci-es256', 'ES256')] } },
    { ...common, client_id: 'looker-ci-basic', client_secret: basicSecret,
      token_endpoint_auth_method: 'client_secret_basic' },
  ],
  jwks: { keys: [{ ...signing, kid: 'peer-signing', alg: 'RS256', use: 'sig' }] },
  scopes: ['looker'],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => RESOURCE,
      useGrantedResource: () => true,
      getResourceServerInfo: () => resourceServer,
    },
  },
})

// RFC 8693: accept an unexpired JWT subject (a stand-in for a real trust policy) and issue an
// access token for the same resource server.
provider.registerGrantType(
  TOKEN_EXCHANGE,
  async (ctx) => {
    const { params, client } = ctx.oidc
    if (params.subject_token_type !== ID_TOKEN_TYPE) {
      throw new errors.InvalidRequest('subject_token_type must be an id_token')
    }
    let claims
    try {
      claims = JSON.parse(Buffer.from(params.subject_token.split('.')[1], 'base64url'))
    } catch {
      throw new errors.InvalidGrant('subject_token is not a JWT')
    }
    if (!claims.exp || claims.exp * 1000 <= Date.now()) {
      throw new errors.InvalidGrant('subject_token is expired')
    }
    const token = new ctx.oidc.provider.ClientCredentials({ client, scope: 'looker' })
    token.resourceServer = new ctx.oidc.provider.ResourceServer(RESOURCE, resourceServer)
    const value = await token.save()
    ctx.body = { access_token: value, issued_token_type: ACCESS_TOKEN_TYPE, token_type: 'Bearer', expires_in: token.expiration }
  },
  ['subject_token', 'subject_token_type', 'requested_token_type', 'audience', 'scope'],
)

server.on('request', provider.callback())

const fixture = {
  issuer,
  rs256: { client_id: 'looker-ci-rs256', kid: 'ci-rs256', private_key: pkcs8(rsa) },
  es256: { client_id: 'looker-ci-es256', kid: 'ci-es256', private_key: pkcs8(ec) },
  basic: { client_id: 'looker-ci-basic', client_secret: basicSecret },
}
writeFileSync(`${fixturePath}.tmp`, JSON.stringify(fixture))
renameSync(`${fixturePath}.tmp`, fixturePath)
console.log(`oidc peer on ${issuer}`)
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)))
