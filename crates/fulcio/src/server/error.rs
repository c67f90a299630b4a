//! The one place where the Fulcio API turns failures into HTTP responses.
//!
//! Every handler returns `Result<_, ApiError>`. The body is always Fulcio's (grpc-gateway's)
//! `{"code":<gRPC code>,"message":"…","details":[]}` with `Content-Type: application/json`.
//! Messages are Fulcio's stable texts ([`crate::Error::client_message`]); the detail of a
//! refusal goes to the log, never to the client. Token problems are 400 (code 3), as in
//! Fulcio ≥ 1.x, never 401.
//!
//! Where Fulcio's answer is a quirk no client depends on we answer better but keep the
//! shape: 405 (not 501) for a wrong method, 413 for an oversized body, a plain message (no
//! protobuf parse offsets) for malformed JSON, and 503 with `Retry-After` when the CT log or
//! an issuer's keys are unavailable (sigstore-go retries 5xx).

use axum::http::header::{HeaderValue, ALLOW, CONTENT_TYPE, RETRY_AFTER};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::issuer::IssueError;

/// gRPC status codes used in error bodies (`code`).
mod grpc {
    pub const INVALID_ARGUMENT: u16 = 3;
    pub const NOT_FOUND: u16 = 5;
    pub const RESOURCE_EXHAUSTED: u16 = 8;
    pub const UNIMPLEMENTED: u16 = 12;
    pub const INTERNAL: u16 = 13;
    pub const UNAVAILABLE: u16 = 14;
}

/// Fulcio's message when the CT log step fails.
const CT_LOG_MESSAGE: &str = "Error entering certificate in CTL";
/// Fulcio's message when the CA cannot sign.
const CA_MESSAGE: &str = "error communicating with CA backend";

/// Every way a Fulcio API request can fail.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Issuance refused or failed.
    #[error(transparent)]
    Issue(#[from] IssueError),
    /// The request body is not a request (bad JSON, wrong types, bad base64, both key
    /// forms): 400.
    #[error("{0}")]
    BadRequest(String),
    /// No route for this path: 404.
    #[error("Not Found")]
    NotFound,
    /// A route exists but not for this method: 405 with `Allow`.
    #[error("Method Not Allowed")]
    MethodNotAllowed {
        /// The methods the route serves.
        allowed: &'static str,
    },
    /// The body exceeds the configured limit: 413.
    #[error("request body is larger than the limit of {limit} bytes")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The request did not finish in time: 503 with `Retry-After`.
    #[error("the request timed out, retry later")]
    Timeout,
    /// A server fault (e.g. PEM encoding): 500; the detail is logged.
    #[error("Error marshaling code signing certificate")]
    Internal(String),
}

impl ApiError {
    /// The HTTP status of this failure: the one place the CA decides it. Fulcio answers 400
    /// for everything a request can cause (never 401), 503 when it may succeed on retry (an
    /// issuer's keys or the CT log unavailable; sigstore-go retries 5xx), 500 for faults.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Issue(IssueError::Request(e)) => request_status(e),
            ApiError::Issue(IssueError::Unembeddable(_)) | ApiError::BadRequest(_) => {
                StatusCode::BAD_REQUEST
            }
            ApiError::Issue(IssueError::CtLog(_)) | ApiError::Timeout => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::Issue(IssueError::Ca(_)) | ApiError::Internal(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Issue(IssueError::Throttled { .. }) => StatusCode::TOO_MANY_REQUESTS,
        }
    }

    /// The message the client sees: Fulcio's stable texts, never a refusal's detail.
    fn client_message(&self) -> String {
        match self {
            ApiError::Issue(IssueError::Request(e)) => e.client_message(),
            ApiError::Issue(IssueError::Unembeddable(why)) => why.clone(),
            ApiError::Issue(IssueError::CtLog(_)) => CT_LOG_MESSAGE.into(),
            ApiError::Issue(IssueError::Ca(_)) => CA_MESSAGE.into(),
            ApiError::Issue(e @ IssueError::Throttled { .. }) => e.to_string(),
            ApiError::BadRequest(m) => m.clone(),
            _ => self.to_string(),
        }
    }

    /// Logs what the client will not see.
    fn log(&self, status: StatusCode) {
        match self {
            ApiError::Issue(IssueError::Request(e)) if status.is_server_error() => {
                tracing::warn!(error = %e, "identity keys unavailable");
            }
            ApiError::Issue(e @ IssueError::Request(_)) => {
                tracing::info!(error = %e, "certificate request refused");
            }
            ApiError::Issue(e @ IssueError::Unembeddable(_)) => {
                tracing::info!(error = %e, "certificate request refused");
            }
            ApiError::Issue(e @ IssueError::CtLog(_)) => {
                tracing::warn!(error = %e, "no SCT, nothing issued");
            }
            ApiError::Issue(e @ IssueError::Ca(_)) => {
                tracing::error!(error = %e, "CA failure");
            }
            ApiError::Internal(detail) => tracing::error!(%detail, "internal error"),
            _ => {}
        }
    }
}

/// The status of a token, identity or proof-of-possession failure (part of
/// [`ApiError::status`], public so tests and the CA's metrics read the same answer).
pub fn request_status(e: &crate::Error) -> StatusCode {
    use crate::Error;
    match e {
        Error::KeyFetch { .. } => StatusCode::SERVICE_UNAVAILABLE,
        Error::Io { .. } | Error::ConfigSyntax(_) | Error::Config { .. } => {
            StatusCode::INTERNAL_SERVER_ERROR
        }
        _ => StatusCode::BAD_REQUEST,
    }
}

/// The gRPC code of the body follows from the status, as grpc-gateway maps them.
fn grpc_code(status: StatusCode) -> u16 {
    match status {
        StatusCode::NOT_FOUND => grpc::NOT_FOUND,
        StatusCode::METHOD_NOT_ALLOWED => grpc::UNIMPLEMENTED,
        StatusCode::PAYLOAD_TOO_LARGE | StatusCode::TOO_MANY_REQUESTS => grpc::RESOURCE_EXHAUSTED,
        StatusCode::SERVICE_UNAVAILABLE => grpc::UNAVAILABLE,
        s if s.is_server_error() => grpc::INTERNAL,
        _ => grpc::INVALID_ARGUMENT,
    }
}

impl From<sigstack_http::BodyError> for ApiError {
    fn from(e: sigstack_http::BodyError) -> Self {
        match e {
            sigstack_http::BodyError::TooLarge { limit } => ApiError::PayloadTooLarge { limit },
            unreadable @ sigstack_http::BodyError::Unreadable(_) => {
                ApiError::BadRequest(unreadable.to_string())
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let (code, message) = (grpc_code(status), self.client_message());
        self.log(status);
        let body = json!({ "code": code, "message": message, "details": [] }).to_string();
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if status == StatusCode::SERVICE_UNAVAILABLE {
            headers.insert(RETRY_AFTER, HeaderValue::from_static("1"));
        }
        if let ApiError::Issue(IssueError::Throttled { retry_after }) = &self {
            let secs = sigstack_http::ratelimit::retry_after_secs(*retry_after);
            headers.insert(RETRY_AFTER, HeaderValue::from(secs));
        }
        if let ApiError::MethodNotAllowed { allowed } = &self {
            headers.insert(ALLOW, HeaderValue::from_static(allowed));
        }
        response
    }
}
