//! The development issuer's discovery document and JWKS, under the issuer URL's path.
//!
//! Served for people and tools that want to look; the CA itself reads the JWKS file.

use axum::http::header;
use axum::response::IntoResponse as _;
use axum::routing::get;
use axum::Router;

use crate::material::dev_oidc::DevIssuer;

/// `(path prefix, router)`: `<prefix>/.well-known/openid-configuration` and `<prefix>/jwks`.
pub fn routes(dev: &DevIssuer) -> (String, Router) {
    let prefix = path_of(dev.issuer_url());
    let discovery = format!("{}\n", dev.discovery());
    let jwks = format!("{}\n", dev.jwks());
    let json = |body: String| {
        move || {
            let body = body.clone();
            async move { ([(header::CONTENT_TYPE, "application/json")], body).into_response() }
        }
    };
    let router = Router::new()
        .route(
            &format!("{prefix}/.well-known/openid-configuration"),
            get(json(discovery)),
        )
        .route(&format!("{prefix}/jwks"), get(json(jwks)));
    (prefix, router)
}

/// The path of `url` without a trailing slash (`http://h:1/dev-oidc/` → `/dev-oidc`).
fn path_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let path = rest.find('/').map_or("", |i| &rest[i..]);
    path.trim_end_matches('/').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_is_the_issuer_path() {
        assert_eq!(path_of("http://127.0.0.1:3000/dev-oidc"), "/dev-oidc");
        assert_eq!(path_of("https://h/a/b/"), "/a/b");
        assert_eq!(path_of("https://h"), "");
    }
}
