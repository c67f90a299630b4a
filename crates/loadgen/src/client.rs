//! A pooled HTTP/1.1 client over hyper, and the two requests the load runs make.

use anyhow::{Context, Result};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, Request, StatusCode};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;

/// A cheap-to-clone client bound to one base URL.
#[derive(Clone)]
pub struct Api {
    client: Client<HttpConnector, Full<Bytes>>,
    base: String,
}

impl Api {
    /// A client for `base` (e.g. `http://127.0.0.1:3000`), keeping up to `pool` idle
    /// connections so steady load does not pay for connection set-up.
    pub fn new(base: &str, pool: usize) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(pool)
            .build(connector);
        Self {
            client,
            base: base.trim_end_matches('/').to_string(),
        }
    }

    /// Sends one request and returns the status and body.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Bytes,
        bearer: Option<&str>,
    ) -> Result<(StatusCode, Bytes)> {
        let mut req = Request::builder()
            .method(method)
            .uri(format!("{}{}", self.base, path));
        if !body.is_empty() {
            req = req.header("content-type", "application/json");
        }
        if let Some(token) = bearer {
            req = req.header("authorization", format!("Bearer {token}"));
        }
        let req = req.body(Full::new(body)).context("building request")?;
        let resp = self.client.request(req).await.context("sending request")?;
        let status = resp.status();
        let body = resp
            .into_body()
            .collect()
            .await
            .context("reading body")?
            .to_bytes();
        Ok((status, body))
    }

    /// The log's current tree size, from `GET /api/v1/log`.
    pub async fn tree_size(&self) -> Result<u64> {
        let (status, body) = self
            .send(Method::GET, "/api/v1/log", Bytes::new(), None)
            .await?;
        anyhow::ensure!(
            status == StatusCode::OK,
            "GET /api/v1/log answered {status}"
        );
        let info: serde_json::Value = serde_json::from_slice(&body)?;
        info["treeSize"]
            .as_u64()
            .context("logInfo has no numeric treeSize")
    }
}
