//! What the generated typed methods share: a request under construction (arguments kept as the
//! spec names them) that is sent through the core's generic call path and decoded into its model.

use std::future::Future;
use std::pin::Pin;

use looker_ci_core::{Error, LookerClient, OperationOutput, Result};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// The future of a typed request: owns everything it needs, so it can be spawned.
pub type ResponseFuture<T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'static>>;

/// One operation's arguments on their way to [`LookerClient::call_operation`]'s path.
pub(crate) struct TypedCall {
    client: LookerClient,
    operation_id: &'static str,
    args: Map<String, Value>,
    /// The first argument that could not be encoded (reported when the request is sent).
    error: Option<Error>,
}

impl TypedCall {
    pub fn new(client: &LookerClient, operation_id: &'static str) -> Self {
        TypedCall {
            client: client.clone(),
            operation_id,
            args: Map::new(),
            error: None,
        }
    }

    /// Set a parameter (or `body`); a value that cannot be encoded is reported by `send`.
    pub fn set(&mut self, name: &'static str, value: impl Serialize) {
        match serde_json::to_value(value) {
            Ok(value) => {
                self.args.insert(name.to_owned(), value);
            }
            Err(e) => {
                self.error.get_or_insert_with(|| {
                    Error::invalid_argument(name, format!("cannot be encoded as JSON: {e}"))
                });
            }
        }
    }

    /// A comma-separated list, as Looker takes array query parameters.
    pub fn set_list<S: Into<String>>(
        &mut self,
        name: &'static str,
        values: impl IntoIterator<Item = S>,
    ) {
        let values: Vec<String> = values.into_iter().map(Into::into).collect();
        self.set(name, values);
    }

    /// Send and decode the JSON reply into `T` (straight from the bytes, no JSON tree in between).
    pub fn send_model<T: DeserializeOwned + Send + 'static>(self) -> ResponseFuture<T> {
        Box::pin(async move {
            if let Some(error) = self.error {
                return Err(error);
            }
            let reply = self
                .client
                .call_operation_raw(self.operation_id, self.args)
                .await?;
            reply.model()
        })
    }

    /// Send and decode the reply by its content type (JSON, text or bytes).
    pub fn send_output(self) -> ResponseFuture<OperationOutput> {
        Box::pin(async move {
            if let Some(error) = self.error {
                return Err(error);
            }
            self.client
                .call_operation(self.operation_id, self.args)
                .await
        })
    }
}
