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

/// The fixture the moto peer wrote (`python scripts/peers/moto_peer.py FILE`, then
/// `LOOKER_CI_TEST_MOTO=FILE`); `None` when run alone without it (see `peer::require`).
pub fn fixture() -> Option<MotoFixture> {
    let path = super::peer::require("moto", "LOOKER_CI_TEST_MOTO")?;
    let text = std::fs::read_to_string(&path).expect("the moto fixture file is readable");
    let v: serde_json::Value = serde_json::from_str(&text).expect("the moto fixture is JSON");
    let s = |k: &str| v[k].as_str().expect("fixture field").to_owned();
    Some(MotoFixture {
        url: s("url"),
        region: s("region"),
        issuer: s("issuer"),
        role_arn: s("role_arn"),
        denied_role_arn: s("denied_role_arn"),
        secret_id: s("secret_id"),
        client_id: s("client_id"),
        client_secret: s("client_secret"),
    })
}
