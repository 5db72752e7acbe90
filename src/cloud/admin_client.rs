//! The client side of the admin API: what `local status | stop | reset`, attaching processes and
//! tests use to talk to a running host.

use std::time::Duration;

use anyhow::Context as _;

use super::host::EndpointInfo;

/// Asks a host over its admin API; errors say which URL did not answer.
pub struct AdminClient {
    http: reqwest::Client,
    info: EndpointInfo,
}

impl AdminClient {
    pub fn new(info: EndpointInfo) -> Self {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(5)).no_proxy().build().unwrap_or_default();
        AdminClient { http, info }
    }

    pub fn info(&self) -> &EndpointInfo {
        &self.info
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> anyhow::Result<serde_json::Value> {
        let url = format!("{}/_kc/{path}", self.info.url);
        let mut req = self.http.request(method, &url).bearer_auth(&self.info.secret_access_key);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.with_context(|| format!("the local cloud at {} did not answer", self.info.url))?;
        let status = resp.status();
        let value: serde_json::Value = resp.json().await.with_context(|| format!("reading the answer of {url}"))?;
        if !status.is_success() {
            let msg = value.get("error").and_then(|v| v.as_str()).unwrap_or("unknown error");
            anyhow::bail!("{url} answered {status}: {msg}");
        }
        Ok(value)
    }

    pub async fn get(&self, path: &str) -> anyhow::Result<serde_json::Value> {
        self.send(reqwest::Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: serde_json::Value) -> anyhow::Result<serde_json::Value> {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }
}
