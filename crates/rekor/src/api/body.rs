//! Reading JSON request bodies: media type first, then the bytes under the size limit
//! (`sigstack_http::read_limited`: enforced while reading and up front from
//! `Content-Length`, so an oversized body is refused with 413 before any of it is parsed and
//! without buffering more than the limit), then the blank-body check.

use axum::body::Body;
use axum::http::header::CONTENT_TYPE;
use axum::http::HeaderMap;

use super::error::{ApiError, SchemaCode};

/// Checks the declared media type: `application/json` (parameters such as `charset`
/// allowed) or none at all, which Rekor's clients never send but curl users do.
fn require_json(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(value) = headers.get(CONTENT_TYPE) else {
        return Ok(());
    };
    let text = value.to_str().unwrap_or("");
    let essence = text.split(';').next().unwrap_or("").trim();
    if essence.eq_ignore_ascii_case("application/json") {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType(text.to_owned()))
    }
}

/// The preamble of every Rekor POST: a JSON media type, the body under `limit` bytes, and not
/// blank (Rekor's schema error names the missing parameter, `what`: `proposedEntry`,
/// `entry`, `query`).
pub(crate) async fn json_body(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
    what: &str,
) -> Result<Vec<u8>, ApiError> {
    require_json(headers)?;
    let bytes = sigstack_http::read_limited(headers, body, limit).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::schema(
            SchemaCode::Required,
            format!("{what} in body is required"),
        ));
    }
    Ok(bytes)
}
