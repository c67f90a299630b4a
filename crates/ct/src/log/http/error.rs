//! The one place where the CT log turns failures into HTTP responses.
//!
//! Every handler returns `Result<_, CtError>`. The body is JSON, `{"code":<status>,
//! "message":"..."}`, the same shape the Rekor API in the same server uses; CTFE sends plain
//! text, but no CT client reads error bodies beyond printing them. Overload and standby are
//! 503 with `Retry-After`, which Go's CT client (and so Fulcio) retries. Internal details go to
//! the log, never to the client.

use axum::http::header::{HeaderValue, ALLOW, CONTENT_TYPE, RETRY_AFTER};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::log::CtError;

impl CtError {
    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            CtError::BadRequest(_)
            | CtError::EmptyChain
            | CtError::ChainTooLong { .. }
            | CtError::Certificate { .. }
            | CtError::BadSignature { .. }
            | CtError::UnknownRoot
            | CtError::Precertificate(_)
            | CtError::PoisonInFinalCertificate
            | CtError::OutOfRange(_) => StatusCode::BAD_REQUEST,
            CtError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            CtError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            CtError::NotFound(_) => StatusCode::NOT_FOUND,
            CtError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            CtError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            CtError::Config(_) | CtError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<sigstack_http::BodyError> for CtError {
    fn from(e: sigstack_http::BodyError) -> Self {
        match e {
            sigstack_http::BodyError::TooLarge { limit } => CtError::PayloadTooLarge { limit },
            unreadable @ sigstack_http::BodyError::Unreadable(_) => {
                CtError::BadRequest(unreadable.to_string())
            }
        }
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    code: u16,
    message: &'a str,
}

impl IntoResponse for CtError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = match &self {
            CtError::Config(detail) | CtError::Internal(detail) => {
                tracing::error!(%detail, "internal error answering a CT log request");
                "internal error".to_owned()
            }
            other => other.to_string(),
        };
        let body = serde_json::to_vec(&ErrorBody {
            code: status.as_u16(),
            message: &message,
        })
        .unwrap_or_else(|_| br#"{"code":500,"message":"internal error"}"#.to_vec());
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        match &self {
            CtError::Unavailable(_) => {
                headers.insert(RETRY_AFTER, HeaderValue::from_static("1"));
            }
            CtError::RateLimited { retry_after } => {
                let secs = sigstack_http::ratelimit::retry_after_secs(*retry_after);
                headers.insert(RETRY_AFTER, HeaderValue::from(secs));
            }
            CtError::MethodNotAllowed { allowed } => {
                headers.insert(ALLOW, HeaderValue::from_static(allowed));
            }
            _ => {}
        }
        response
    }
}
