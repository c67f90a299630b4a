//! The one place where the Rekor API turns failures into HTTP responses.
//!
//! Every handler returns `Result<_, ApiError>`; nothing else in `api/` builds an error
//! response. The body is always Rekor's `{"code":<int>,"message":"..."}` except where Rekor
//! itself sends an empty 404 (the two entry lookups, which clients treat as "not found").
//!
//! Two families of error bodies exist in Rekor and clients can see the difference only in
//! the trailing newline and the `code` (see the golden README): errors raised by a handler
//! carry `code` = HTTP status and end with `\n`; errors raised by its OpenAPI layer
//! (schema validation, routing) carry a go-openapi number (601 type, 602 required,
//! 605 pattern, 606 enum, 609 minimum, 611 max items) under HTTP 422 and no newline. We keep
//! both shapes so messages and codes match what clients already print.
//!
//! Where Rekor answers 500 to plain client mistakes (malformed JSON, an oversized body) we
//! answer 400 / 413: no client depends on those 500s. Internal details never reach the
//! client; they go to the log.

use axum::http::header::{HeaderValue, CONTENT_TYPE, LOCATION, RETRY_AFTER};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sigstack_ledger::store::StoreError;
use sigstack_ledger::LedgerError;

use super::json;
use super::verify_pool::PoolError;
use crate::error::Error as EntryError;

/// go-openapi's validation error numbers, sent as `code` with HTTP 422.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SchemaCode {
    /// A value of the wrong type (`must be of type int64`).
    WrongType = 601,
    /// A required value is absent.
    Required = 602,
    /// A string does not match its pattern.
    Pattern = 605,
    /// A value outside its enumeration.
    Enum = 606,
    /// A number below its minimum.
    Minimum = 609,
    /// An array with too many items.
    MaxItems = 611,
}

/// Every way a Rekor API request can fail, each with the response it gets.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed or an entry does not validate (400, handler family).
    #[error("{0}")]
    BadRequest(String),
    /// A request fails the OpenAPI schema (422 with a go-openapi code, no newline).
    #[error("{message}")]
    Schema {
        /// Which validation failed.
        code: u16,
        /// go-openapi's wording, e.g. `logIndex in query is required`.
        message: String,
    },
    /// A request is well-formed but asks for too much (422, handler family).
    #[error("{0}")]
    Unprocessable(String),
    /// An entry lookup found nothing: 404 with an empty body, as Rekor sends.
    #[error("entry not found")]
    EntryNotFound,
    /// A reader on a lagging replica does not have the entry and cannot reach the primary:
    /// Rekor's empty 404, with `Retry-After` since it may exist by then.
    #[error("entry not found")]
    NotReplicated,
    /// No route for this path (404, routing family).
    #[error("path {0} was not found")]
    PathNotFound(String),
    /// A route exists but not for this method (405 with `Allow`, routing family).
    #[error("method {method} is not allowed, but [{allowed}] are")]
    MethodNotAllowed {
        /// The method the client used.
        method: String,
        /// The methods the route serves, comma-separated for the `Allow` header.
        allowed: String,
    },
    /// The canonical entry is already in the log (409 with the existing entry's `Location`).
    #[error("an equivalent entry already exists in the transparency log with UUID {entry_id}")]
    Duplicate {
        /// The 80-hex entry ID of the entry already logged.
        entry_id: String,
    },
    /// The request body exceeds the configured limit (413; Rekor says 500).
    #[error("request body is larger than the limit of {limit} bytes")]
    PayloadTooLarge {
        /// The configured limit in bytes.
        limit: usize,
    },
    /// The request body is not JSON by its declared media type (415, routing family).
    #[error("unsupported media type {0:?}, only [application/json] are allowed")]
    UnsupportedMediaType(String),
    /// The log cannot take writes right now (queue full, standby, not initialised, shutting
    /// down, a failed batch): 503 with `Retry-After: 1`; a retry is safe because the log
    /// deduplicates.
    #[error("{0}")]
    Unavailable(&'static str),
    /// The request did not finish within the configured timeout (503 with `Retry-After`).
    #[error("the request timed out, retry later")]
    Timeout,
    /// The client sent more than its rate limit allows (429 with `Retry-After`).
    #[error("rate limit exceeded, retry later")]
    RateLimited {
        /// How long until the client may write again.
        retry_after: std::time::Duration,
    },
    /// A bug, corrupt data or a storage failure. The detail is logged, never sent.
    #[error("unexpected error communicating with transparency log")]
    Internal(String),
}

impl ApiError {
    /// A go-openapi schema error.
    pub(crate) fn schema(code: SchemaCode, message: impl Into<String>) -> Self {
        ApiError::Schema {
            code: code as u16,
            message: message.into(),
        }
    }

    /// Maps an entry-kind failure: Rekor's schema-level refusals (a missing top-level
    /// field, an unknown kind) keep their 422 shape, everything else is a 400 carrying the
    /// reason after `prefix` (`error processing entry: ` on create, nothing on retrieve).
    pub(crate) fn from_entry_error(e: EntryError, prefix: &str) -> Self {
        match e {
            EntryError::MissingField { .. } => {
                ApiError::schema(SchemaCode::Required, e.to_string())
            }
            EntryError::UnknownKind(_) => ApiError::Schema {
                code: 422,
                message: e.to_string(),
            },
            EntryError::Abandoned => ApiError::Timeout,
            other => ApiError::BadRequest(format!("{prefix}{other}")),
        }
    }

    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Schema { .. } | ApiError::Unprocessable(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::EntryNotFound | ApiError::NotReplicated | ApiError::PathNotFound(_) => {
                StatusCode::NOT_FOUND
            }
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Duplicate { .. } => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unavailable(_) | ApiError::Timeout => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// Rekor's error body.
#[derive(Serialize)]
struct ErrorBody<'a> {
    code: u16,
    message: &'a str,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let ApiError::Internal(detail) = &self {
            tracing::error!(%detail, "internal error answering a Rekor API request");
        }
        if matches!(self, ApiError::EntryNotFound) {
            return status.into_response();
        }
        if matches!(self, ApiError::NotReplicated) {
            let mut response = status.into_response();
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from_static("1"));
            return response;
        }
        let message = self.to_string();
        // go-openapi's own errors carry no trailing newline; handler errors do.
        let (code, newline) = match &self {
            ApiError::Schema { code, .. } => (*code, false),
            ApiError::PathNotFound(_)
            | ApiError::MethodNotAllowed { .. }
            | ApiError::UnsupportedMediaType(_) => (status.as_u16(), false),
            _ => (status.as_u16(), true),
        };
        let body = ErrorBody {
            code,
            message: &message,
        };
        let mut response = (status, json::encode(&body, newline)).into_response();
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(json::CONTENT_TYPE));
        match &self {
            ApiError::Duplicate { entry_id } => {
                if let Ok(v) = HeaderValue::from_str(&super::entry_location(entry_id)) {
                    headers.insert(LOCATION, v);
                }
            }
            ApiError::Unavailable(_) | ApiError::Timeout => {
                headers.insert(RETRY_AFTER, HeaderValue::from_static("1"));
            }
            ApiError::RateLimited { retry_after } => {
                let secs = sigstack_http::ratelimit::retry_after_secs(*retry_after);
                headers.insert(RETRY_AFTER, HeaderValue::from(secs));
            }
            ApiError::MethodNotAllowed { allowed, .. } => {
                if let Ok(v) = HeaderValue::from_str(allowed) {
                    headers.insert(axum::http::header::ALLOW, v);
                }
            }
            _ => {}
        }
        response
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

impl From<PoolError> for ApiError {
    fn from(e: PoolError) -> Self {
        match e {
            PoolError::Full => ApiError::Unavailable("the server is busy verifying, retry later"),
            PoolError::Abandoned => ApiError::Timeout,
            PoolError::Failed(detail) => ApiError::Internal(detail),
        }
    }
}

impl From<LedgerError> for ApiError {
    fn from(e: LedgerError) -> Self {
        match e {
            LedgerError::Overloaded => ApiError::Unavailable("the log is overloaded, retry later"),
            LedgerError::NotWriter => {
                ApiError::Unavailable("this server is a standby and cannot take writes now")
            }
            LedgerError::NotInitialized => {
                ApiError::Unavailable("the log has not been initialised yet")
            }
            LedgerError::Closed => ApiError::Unavailable("the log is shutting down"),
            LedgerError::BatchFailed(detail) => {
                tracing::warn!(%detail, "a batch failed to integrate; its submitters get 503");
                ApiError::Unavailable("the entry was not acknowledged, retry later")
            }
            // Handlers check sizes against the tree before asking the ledger, so an
            // out-of-range answer here is a race with nothing a client could fix otherwise.
            LedgerError::OutOfRange(why) => ApiError::BadRequest(why),
            LedgerError::Store(StoreError::NotReplicated(detail)) => {
                tracing::debug!(%detail, "answering 404 + Retry-After from a lagging replica");
                ApiError::NotReplicated
            }
            // The handler maps `Duplicate` itself (it knows the entry ID); reaching here
            // means a path that never submits saw it.
            other @ (LedgerError::Duplicate { .. }
            | LedgerError::Store(_)
            | LedgerError::Internal(_)) => ApiError::Internal(other.to_string()),
        }
    }
}
