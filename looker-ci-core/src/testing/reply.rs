//! The request, caller and reply shapes of FakeLooker's server layer, shared by the state and
//! the LookML world (a leaf: it imports neither).

use serde_json::{Value, json};

/// Where Looker's error replies point (`documentation_url`).
const DOCS_URL: &str = "https://cloud.google.com/looker/docs/r/api/support";

/// The body of a reply.
pub(crate) enum FakeBody {
    None,
    Json(Value),
    Text {
        content_type: &'static str,
        text: String,
    },
    Binary {
        content_type: &'static str,
        bytes: Vec<u8>,
    },
}

/// A reply the server layer turns into HTTP.
pub(crate) struct FakeReply {
    pub status: u16,
    pub body: FakeBody,
    pub retry_after: Option<String>,
}

impl FakeReply {
    pub(crate) fn json(status: u16, body: Value) -> Self {
        FakeReply {
            status,
            body: FakeBody::Json(body),
            retry_after: None,
        }
    }
    pub(crate) fn text(content_type: &'static str, text: String) -> Self {
        FakeReply {
            status: 200,
            body: FakeBody::Text { content_type, text },
            retry_after: None,
        }
    }
    pub(crate) fn binary(content_type: &'static str, bytes: Vec<u8>) -> Self {
        FakeReply {
            status: 200,
            body: FakeBody::Binary {
                content_type,
                bytes,
            },
            retry_after: None,
        }
    }
    pub(crate) fn error(status: u16, message: &str) -> Self {
        Self::json(
            status,
            json!({"message": message, "documentation_url": DOCS_URL}),
        )
    }
    /// Looker's 422 shape: one invalid field.
    pub(crate) fn invalid(field: &str, message: &str) -> Self {
        Self::json(
            422,
            json!({"message": "Validation Failed", "documentation_url": DOCS_URL,
                   "errors": [{"field": field, "code": "invalid", "message": message}]}),
        )
    }
    pub(crate) fn empty(status: u16) -> Self {
        FakeReply {
            status,
            body: FakeBody::None,
            retry_after: None,
        }
    }
}

/// The parts of a request the state needs.
pub(crate) struct FakeRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub authorization: Option<&'a str>,
    pub body: &'a [u8],
}

/// Who is asking, and in which workspace.
pub(crate) struct Caller {
    pub user_id: String,
    pub first_name: String,
    pub last_name: String,
    /// The session's workspace is `dev` (else `production`).
    pub dev: bool,
    pub permissions: Vec<String>,
}

impl Caller {
    pub fn can(&self, permission: &str) -> bool {
        self.permissions.iter().any(|p| p == permission)
    }

    /// The workspace whose validation results are cached together.
    pub(crate) fn workspace_key(&self) -> String {
        if self.dev {
            format!("dev:{}", self.user_id)
        } else {
            "production".into()
        }
    }
}
