//! What a web page, a forged request or a misbehaving client can do to the local cloud: nothing.
//! Browser-style requests (a no-cors POST carrying an `Origin`, a DNS-rebinding `Host`), the admin
//! API without its secret, payload hashes that do not cover the body, bodies decoded before their
//! signature is checked, and connections that stall or pile up.

use crate::support;

use std::time::{Duration, Instant, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{PayloadChecksumKind, SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use support::TestCloud;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const EVIL_HOST: &str = "evil.example:4599";
const STS_JSON: &str = "AWSSecurityTokenServiceV20110615.GetCallerIdentity";
const KINESIS_LIST: &str = "Kinesis_20131202.ListStreams";

/// An HTTP/1.1 request written byte for byte, so `Host` and `Origin` are exactly what a browser
/// would send.
struct Wire {
    method: &'static str,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Wire {
    fn new(method: &'static str, path: &str, host: &str) -> Self {
        Wire { method, path: path.into(), headers: vec![("host".into(), host.into())], body: Vec::new() }
    }

    fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.to_ascii_lowercase(), v.into()));
        self
    }

    fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// SigV4 for `service` with the cloud's credentials; `payload` is the `x-amz-content-sha256`
    /// to sign with, when given (else the body's hash is signed without that header).
    fn signed(mut self, cloud: &TestCloud, service: &str, payload: Option<&str>) -> Self {
        let c = cloud.cloud.credentials();
        let identity = Credentials::new(&c.access_key_id, &c.secret_access_key, None, None, "test").into();
        let mut settings = SigningSettings::default();
        let body = match payload {
            Some(hash) => {
                self.headers.push(("x-amz-content-sha256".into(), hash.into()));
                settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
                SignableBody::Precomputed(hash.to_string())
            }
            None => SignableBody::Bytes(&self.body),
        };
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region("us-east-1")
            .name(service)
            .time(SystemTime::now())
            .settings(settings)
            .build()
            .expect("signing params")
            .into();
        let uri = format!("http://{}{}", self.headers[0].1, self.path);
        let signable =
            SignableRequest::new(self.method, &uri, self.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())), body)
                .expect("signable");
        let (instructions, _) = sign(signable, &params).expect("signs").into_parts();
        for (k, v) in instructions.headers() {
            if k != "x-amz-content-sha256" {
                self.headers.push((k.to_string(), v.to_string()));
            }
        }
        self
    }

    /// Sends on a fresh connection; returns the status and the body.
    async fn send(self, cloud: &TestCloud) -> (u16, String) {
        let mut head = format!("{} {} HTTP/1.1\r\n", self.method, self.path);
        for (k, v) in &self.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str(&format!("content-length: {}\r\nconnection: close\r\n\r\n", self.body.len()));
        let mut stream = TcpStream::connect(cloud.cloud.addr).await.expect("connects");
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(&self.body).await.unwrap();
        let mut answer = Vec::new();
        tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
            .await
            .expect("the host answers within 10 s")
            .expect("reads the answer");
        let text = String::from_utf8_lossy(&answer).into_owned();
        let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
        (status, body)
    }
}

fn local_host(cloud: &TestCloud) -> String {
    cloud.cloud.addr.to_string()
}

fn bearer(cloud: &TestCloud) -> String {
    format!("Bearer {}", cloud.cloud.credentials().secret_access_key)
}

fn error_type(body: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("JSON error body ({e}): {body}"));
    v["__type"].as_str().or(v["error"].as_str()).unwrap_or_default().to_string()
}

async fn with_a_stream(cloud: &TestCloud) -> aws_sdk_kinesis::Client {
    let kinesis = aws_sdk_kinesis::Client::new(&cloud.sdk_config().await);
    kinesis.create_stream().stream_name("precious").shard_count(1).send().await.expect("creates a stream");
    kinesis
}

async fn still_there(kinesis: &aws_sdk_kinesis::Client) {
    let streams = kinesis.list_streams().send().await.expect("lists streams");
    assert_eq!(streams.stream_names(), ["precious"], "nothing was reset");
}

async fn clouds() -> [TestCloud; 2] {
    [TestCloud::start().await, TestCloud::start_with(|c| c.auth = false).await]
}

#[tokio::test(flavor = "multi_thread")]
async fn a_no_cors_post_from_a_web_page_resets_nothing() {
    for cloud in clouds().await {
        let kinesis = with_a_stream(&cloud).await;
        let host = local_host(&cloud);
        // What `fetch(url, {method: "POST", mode: "no-cors"})` sends: no credentials, an Origin.
        let page = Wire::new("POST", "/_kc/reset", &host).header("origin", "https://evil.example");
        let (status, body) = page.send(&cloud).await;
        assert_eq!(status, 403, "auth {}: {body}", cloud.cloud.ctx.config.auth);
        assert!(body.contains("https://evil.example"), "the refusal names the origin: {body}");
        // Even holding the secret, a request from a page's origin is refused.
        let page = Wire::new("POST", "/_kc/reset", &host).header("origin", "https://evil.example");
        let (status, _) = page.header("authorization", &bearer(&cloud)).send(&cloud).await;
        assert_eq!(status, 403);
        let page = Wire::new("POST", "/_kc/shutdown", &host).header("origin", "null");
        assert_eq!(page.send(&cloud).await.0, 403);
        still_there(&kinesis).await;
        assert!(!cloud.cloud.ctx.is_shutting_down());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dns_rebinding_host_is_refused_on_sdk_requests_and_the_admin_api() {
    for cloud in clouds().await {
        let auth = cloud.cloud.ctx.config.auth;
        // Signed, so that only the Host can be the reason for the refusal.
        let sdk = Wire::new("POST", "/", EVIL_HOST)
            .header("content-type", "application/x-amz-json-1.0")
            .header("x-amz-target", STS_JSON)
            .body("{}")
            .signed(&cloud, "sts", None);
        let (status, body) = sdk.send(&cloud).await;
        assert_eq!((status, error_type(&body).as_str()), (403, "AccessDeniedException"), "auth {auth}: {body}");
        assert!(body.contains(EVIL_HOST), "{body}");

        let health = Wire::new("GET", "/_kc/health", EVIL_HOST).header("authorization", &bearer(&cloud));
        let (status, body) = health.send(&cloud).await;
        assert_eq!(status, 403, "auth {auth}: {body}");
        assert!(error_type(&body).contains("DNS rebinding"), "{body}");

        let kinesis = with_a_stream(&cloud).await;
        let reset = Wire::new("POST", "/_kc/reset", EVIL_HOST).header("authorization", &bearer(&cloud));
        assert_eq!(reset.send(&cloud).await.0, 403);
        still_there(&kinesis).await;

        // The same request under a loopback name is served.
        let ok = Wire::new("GET", "/_kc/health", "localhost").header("authorization", &bearer(&cloud));
        assert_eq!(ok.send(&cloud).await.0, 200);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_allowed_origin_is_served() {
    let cloud = TestCloud::start_with(|c| c.allowed_origins = vec!["http://localhost:3000".into()]).await;
    let host = local_host(&cloud);
    let health = Wire::new("GET", "/_kc/health", &host).header("origin", "http://localhost:3000");
    assert_eq!(health.header("authorization", &bearer(&cloud)).send(&cloud).await.0, 200);
    let other = Wire::new("GET", "/_kc/health", &host).header("origin", "http://localhost:3001");
    assert_eq!(other.header("authorization", &bearer(&cloud)).send(&cloud).await.0, 403);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_admin_api_wants_the_secret_also_under_no_auth() {
    let cloud = TestCloud::start_with(|c| c.auth = false).await;
    let kinesis = with_a_stream(&cloud).await;
    let host = local_host(&cloud);
    let (status, body) = Wire::new("POST", "/_kc/reset", &host).send(&cloud).await;
    assert_eq!(status, 401, "{body}");
    let wrong = Wire::new("POST", "/_kc/reset", &host).header("authorization", "Bearer guessed");
    assert_eq!(wrong.send(&cloud).await.0, 401);
    still_there(&kinesis).await;
    let health = cloud.admin().get("health").await.expect("the admin client holds the secret");
    assert_eq!(health["auth"], false);
}

fn kinesis_list(cloud: &TestCloud) -> Wire {
    Wire::new("POST", "/", &local_host(cloud))
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", KINESIS_LIST)
        .body("{}")
}

#[tokio::test(flavor = "multi_thread")]
async fn payloads_outside_the_signature_are_refused() {
    let cloud = TestCloud::start().await;
    let (status, body) = kinesis_list(&cloud).signed(&cloud, "kinesis", None).send(&cloud).await;
    assert_eq!(status, 200, "a signed body is served: {body}");

    for literal in ["UNSIGNED-PAYLOAD", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"] {
        let (status, body) = kinesis_list(&cloud).signed(&cloud, "kinesis", Some(literal)).send(&cloud).await;
        assert_eq!((status, error_type(&body).as_str()), (403, "InvalidSignatureException"), "{literal}: {body}");
        assert!(body.contains("S3 only"), "{body}");
    }

    // A captured signature replayed with another body: the hash it signed is not the body's.
    let signed_hash = "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"; // sha256("{}")
    let replayed = kinesis_list(&cloud).signed(&cloud, "kinesis", Some(signed_hash)).body(r#"{"Limit":1}"#);
    let (status, body) = replayed.send(&cloud).await;
    assert_eq!((status, error_type(&body).as_str()), (403, "XAmzContentSHA256Mismatch"), "{body}");

    // A forged hash that matches the new body does not match the signature.
    let mut forged = kinesis_list(&cloud).signed(&cloud, "kinesis", Some(signed_hash)).body(r#"{"Limit":1}"#);
    let real = hex_sha256(br#"{"Limit":1}"#);
    for (k, v) in &mut forged.headers {
        if k == "x-amz-content-sha256" {
            *v = real.clone();
        }
    }
    let (status, body) = forged.send(&cloud).await;
    assert_eq!((status, error_type(&body).as_str()), (403, "InvalidSignatureException"), "{body}");
}

fn hex_sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[tokio::test(flavor = "multi_thread")]
async fn bodies_are_decoded_only_after_the_signature_is_checked() {
    let cloud = TestCloud::start().await;
    // Not gzip at all: inflating it would fail with a SerializationException.
    let bomb = kinesis_list(&cloud).header("content-encoding", "gzip").body(vec![0x1f, 0x8b, 0xff, 0xff, 0x00]);
    let (status, body) = bomb.send(&cloud).await;
    assert_eq!((status, error_type(&body).as_str()), (403, "MissingAuthenticationTokenException"), "{body}");

    let form = Wire::new("POST", "/", &local_host(&cloud))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("Version=1999-01-01");
    let (status, body) = form.send(&cloud).await;
    assert_eq!(status, 403, "an unsigned form is refused before it is parsed: {body}");
    assert!(body.contains("MissingAuthenticationToken"), "{body}");
}

/// Reads until the server closes the connection; `false` if it is still open at the deadline.
async fn closed_within(stream: &mut tokio::net::tcp::OwnedReadHalf, deadline: Duration) -> bool {
    let until = Instant::now() + deadline;
    let mut buf = [0u8; 1024];
    loop {
        let left = until.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_loris_client_is_cut_off() {
    // The header-read timeout is a socket timeout (wall time), the one place tests meet it.
    let cloud = TestCloud::start_with(|c| c.header_read_timeout = Duration::from_millis(300)).await;
    let stream = TcpStream::connect(cloud.cloud.addr).await.unwrap();
    let (mut read, mut write) = stream.into_split();
    let trickle = tokio::spawn(async move {
        write.write_all(b"POST / HTTP/1.1\r\nx-slow: ").await?;
        loop {
            tokio::time::sleep(Duration::from_millis(50)).await;
            write.write_all(b"a").await?;
        }
        #[allow(unreachable_code)]
        Ok::<_, std::io::Error>(())
    });
    assert!(closed_within(&mut read, Duration::from_secs(10)).await, "the host still holds the slow client");
    trickle.abort();
    assert_eq!(cloud.admin().get("health").await.unwrap()["status"], "ok", "and keeps serving");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_idle_connection_is_closed() {
    let cloud = TestCloud::start_with(|c| c.idle_timeout = Duration::from_millis(300)).await;
    let stream = TcpStream::connect(cloud.cloud.addr).await.unwrap();
    let (mut read, _write) = stream.into_split();
    assert!(closed_within(&mut read, Duration::from_secs(10)).await, "the idle connection is still open");
}

#[tokio::test(flavor = "multi_thread")]
async fn connections_beyond_the_cap_are_answered_503_and_freed_slots_serve_again() {
    let cloud = TestCloud::start_with(|c| c.max_connections = 2).await;
    let first = TcpStream::connect(cloud.cloud.addr).await.unwrap();
    let _second = TcpStream::connect(cloud.cloud.addr).await.unwrap();
    let mut third = TcpStream::connect(cloud.cloud.addr).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), third.read_to_end(&mut answer)).await.unwrap().unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("ServiceUnavailableException"), "{answer}");

    drop(first);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let health = Wire::new("GET", "/_kc/health", "localhost").header("authorization", &bearer(&cloud));
        let (status, _) = health.send(&cloud).await;
        if status == 200 {
            break;
        }
        assert_eq!(status, 503);
        assert!(Instant::now() < deadline, "the closed connection's slot was never freed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn local_serve_allow_origin_lets_one_web_origin_in() {
    let dir = tempfile::tempdir().unwrap();
    let served = support::served::serve_with(dir.path(), &["--allow-origin", "http://localhost:3000"]);
    let endpoint = served.endpoint();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let health = |origin: &'static str| {
        client
            .get(format!("{}/_kc/health", endpoint.url))
            .bearer_auth(&endpoint.secret_access_key)
            .header("origin", origin)
            .send()
    };
    assert_eq!(health("http://localhost:3000").await.unwrap().status(), 200);
    assert_eq!(health("https://evil.example").await.unwrap().status(), 403);
}
