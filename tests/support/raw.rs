//! Hand-made requests for testing the host's framing, signing and errors below the SDK.

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;

pub struct Raw {
    pub method: &'static str,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Raw {
    pub fn post(path: &str, headers: &[(&str, &str)], body: impl Into<Vec<u8>>) -> Self {
        Raw {
            method: "POST",
            path: path.to_string(),
            headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            body: body.into(),
        }
    }

    /// Adds SigV4 headers for `service` signed with the given key pair at `time`.
    pub fn signed(mut self, url: &str, service: &str, key: &str, secret: &str, time: SystemTime) -> Self {
        let host = url.trim_start_matches("http://").to_string();
        self.headers.push(("host".into(), host));
        let identity = Credentials::new(key, secret, None, None, "test").into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region("us-east-1")
            .name(service)
            .time(time)
            .settings(SigningSettings::default())
            .build()
            .expect("signing params")
            .into();
        let uri = format!("{url}{}", self.path);
        let signable = SignableRequest::new(
            self.method,
            &uri,
            self.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            SignableBody::Bytes(&self.body),
        )
        .expect("signable");
        let (instructions, _) = sign(signable, &params).expect("signs").into_parts();
        for (k, v) in instructions.headers() {
            self.headers.push((k.to_string(), v.to_string()));
        }
        self
    }

    pub async fn send(self, url: &str) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
        let client = reqwest::Client::builder().no_proxy().build().expect("client");
        let mut req = client.request(self.method.parse().expect("method"), format!("{url}{}", self.path));
        for (k, v) in &self.headers {
            if k != "host" {
                req = req.header(k, v);
            }
        }
        let resp = req.body(self.body).send().await.expect("the host answers");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        (status, headers, resp.bytes().await.expect("body").to_vec())
    }
}
