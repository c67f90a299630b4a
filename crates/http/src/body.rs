//! Reading a request body under a size limit: refused up front from `Content-Length` and
//! again while reading, so an oversized body is answered without more than the limit
//! buffered.

use axum::body::Body;
use axum::http::header::CONTENT_LENGTH;
use axum::http::HeaderMap;
use http_body_util::{BodyExt as _, LengthLimitError, Limited};

/// Why a body was not read. Each service maps this to its own error (413 and 400).
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// Declared or found to be longer than `limit` bytes.
    #[error("request body is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The connection failed while the body was being read.
    #[error("the request body could not be read: {0}")]
    Unreadable(String),
}

/// The whole body, at most `limit` bytes.
pub async fn read_limited(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<Vec<u8>, BodyError> {
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(BodyError::TooLarge { limit });
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes().to_vec()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
            Err(BodyError::TooLarge { limit })
        }
        Err(e) => Err(BodyError::Unreadable(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn refuses_declared_and_actual_excess() {
        let mut headers = HeaderMap::new();
        let read = read_limited(&headers, Body::from("12345"), 5).await;
        assert_eq!(read.ok().as_deref(), Some(&b"12345"[..]));
        let read = read_limited(&headers, Body::from("123456"), 5).await;
        assert!(matches!(read, Err(BodyError::TooLarge { limit: 5 })));
        headers.insert(CONTENT_LENGTH, "6".parse().expect("header"));
        let read = read_limited(&headers, Body::from(""), 5).await;
        assert!(matches!(read, Err(BodyError::TooLarge { limit: 5 })));
    }
}
