//! The moto peer started by `scripts/test-all` (scripts/peers/moto_peer.py).

pub struct MotoFixture {
    pub url: String,
    pub region: String,
    pub issuer: String,
    pub role_arn: String,
    pub denied_role_arn: String,
    pub secret_id: String,
    pub client_id: String,
    pub client_secret: String,
}

/// The fixture the moto peer wrote; the tests that need moto cannot run without it.
pub fn fixture() -> MotoFixture {
    let path = std::env::var("LOOKER_CI_TEST_MOTO").expect(
        "LOOKER_CI_TEST_MOTO is not set: these tests need the moto peer, which scripts/test-all \
         starts (or run `python scripts/peers/moto_peer.py FILE` and export LOOKER_CI_TEST_MOTO=FILE)",
    );
    let text = std::fs::read_to_string(&path).expect("the moto fixture file is readable");
    let v: serde_json::Value = serde_json::from_str(&text).expect("the moto fixture is JSON");
    let s = |k: &str| v[k].as_str().expect("fixture field").to_owned();
    MotoFixture {
        url: s("url"),
        region: s("region"),
        issuer: s("issuer"),
        role_arn: s("role_arn"),
        denied_role_arn: s("denied_role_arn"),
        secret_id: s("secret_id"),
        client_id: s("client_id"),
        client_secret: s("client_secret"),
    }
}
