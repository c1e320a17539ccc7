//! The OpenID provider peer started by `scripts/test-all` (scripts/peers/oidc/oidc_peer.mjs).

pub struct OidcClient {
    pub client_id: String,
    pub kid: String,
    pub private_key: String,
}

pub struct OidcFixture {
    pub issuer: String,
    pub rs256: OidcClient,
    pub es256: OidcClient,
    pub basic_id: String,
    pub basic_secret: String,
}

/// The fixture the OpenID provider peer wrote (`node scripts/peers/oidc/oidc_peer.mjs FILE`,
/// then `LOOKER_CI_TEST_OIDC=FILE`); `None` when run alone without it (see `peer::require`).
pub fn fixture() -> Option<OidcFixture> {
    let path = super::peer::require("oidc", "LOOKER_CI_TEST_OIDC")?;
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("fixture readable")).unwrap();
    let client = |k: &str| OidcClient {
        client_id: v[k]["client_id"].as_str().unwrap().to_owned(),
        kid: v[k]["kid"].as_str().unwrap().to_owned(),
        private_key: v[k]["private_key"].as_str().unwrap().to_owned(),
    };
    Some(OidcFixture {
        issuer: v["issuer"].as_str().unwrap().to_owned(),
        rs256: client("rs256"),
        es256: client("es256"),
        basic_id: v["basic"]["client_id"].as_str().unwrap().to_owned(),
        basic_secret: v["basic"]["client_secret"].as_str().unwrap().to_owned(),
    })
}
