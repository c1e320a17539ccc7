//! A local test issuer: GitLab-shaped id tokens (the exchange peers in these tests do not verify
//! signatures, so the signature part is a placeholder).

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

pub fn gitlab_id_token(issuer: &str, audience: &str, lifetime_secs: i64) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let claims = serde_json::json!({
        "iss": issuer,
        "sub": "project_path:platform/looker-models:ref_type:branch:ref:main",
        "aud": audience,
        "iat": now,
        "nbf": now,
        "exp": now + lifetime_secs,
        "namespace_path": "platform",
        "project_path": "platform/looker-models",
        "pipeline_source": "push",
        "job_id": "4242",
        "ref": "main",
        "ref_type": "branch",
        "jti": format!("{:x}", fastrand::u64(..)),
    });
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT","kid":"test-issuer"}"#);
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
    let signature = URL_SAFE_NO_PAD.encode((0..64).map(|_| fastrand::u8(..)).collect::<Vec<_>>());
    format!("{header}.{payload}.{signature}")
}
