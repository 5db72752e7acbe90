//! The local S3: REST-XML on the local endpoint, path-style (`/{bucket}/{key}`) and virtual-host
//! style (`Host: {bucket}.localhost:{port}`). Buckets and objects live in `store.rs` (metadata in
//! redb under `<data dir>/s3/.meta/`, bodies as plain files under `<data dir>/s3/<bucket>/`); one file per operation family
//! (`buckets.rs`, `objects.rs`, `list.rs`, `multipart.rs`); the CloudFormation providers for
//! `AWS::S3::Bucket` and `AWS::S3::BucketPolicy` call the same functions.

pub mod bucket_policy_provider;
pub mod bucket_provider;
pub mod bucket_settings;
pub mod buckets;
pub mod checksum;
pub mod chunk_signing;
pub mod chunked;
pub mod errors;
pub mod layout;
pub mod list;
pub mod meta;
pub mod multipart;
pub mod names;
pub mod objects;
pub mod reply;
pub mod request;
pub mod store;
mod writer;
pub mod xml_in;

use std::sync::Arc;

use http::Method;

use self::reply::Reply;
use self::request::S3Request;
use self::store::Store;
use super::context::CloudContext;
use super::error::ApiError;
use super::service::{BoxFuture, Call, Descriptor, Input, Output, Service, no_timestamps};

/// aws-chunked framing adds a few bytes per chunk; the decoded body is held to
/// [`request::MAX_PUT_BYTES`] (`EntityTooLarge` beyond), the framed one to this.
const MAX_BODY: usize = request::MAX_PUT_BYTES + 4 * 1024 * 1024;

pub struct S3 {
    descriptor: Descriptor,
    store: Arc<Store>,
}

impl S3 {
    pub fn new(ctx: &Arc<CloudContext>) -> anyhow::Result<Self> {
        let store = Arc::new(Store::open(ctx.config.data_dir.join("s3"), Arc::downgrade(ctx))?);
        ctx.object_writer.install(Arc::new(writer::Writer::new(store.clone(), Arc::downgrade(ctx))));
        Ok(S3 {
            descriptor: Descriptor {
                id: "s3",
                signing_name: "s3",
                json_target: None,
                cbor_service: None,
                query: None,
                rest: true,
                query_compatible: false,
                max_body: MAX_BODY,
                is_timestamp_member: no_timestamps,
                open_path: None,
            },
            store,
        })
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }
}

/// What a request needs besides itself.
struct Env {
    now_ms: u64,
    account: String,
    endpoint: String,
}

/// The one dispatch table: method, then whether a bucket and key are named, then sub-resources.
fn route(store: &Store, req: &S3Request, env: &Env) -> Result<Reply, ApiError> {
    let now = env.now_ms;
    let object = req.key.is_some();
    match (&req.method, req.bucket.is_some(), object) {
        (&Method::GET, false, _) => buckets::list(store, &env.account),
        (&Method::PUT, true, false) if req.has("policy") => buckets::put_policy(store, req),
        (&Method::PUT, true, false) if req.has("encryption") => buckets::put_encryption(store, req),
        (&Method::PUT, true, false) if req.has("tagging") => bucket_settings::put_tagging(store, req),
        (&Method::PUT, true, false) if plain(req) => buckets::create(store, req, now),
        (&Method::HEAD, true, false) => buckets::head(store, req),
        (&Method::DELETE, true, false) if req.has("policy") => buckets::delete_policy(store, req),
        (&Method::DELETE, true, false) if req.has("encryption") => buckets::delete_encryption(store, req),
        (&Method::DELETE, true, false) if req.has("tagging") => bucket_settings::delete_tagging(store, req),
        (&Method::DELETE, true, false) if plain(req) => buckets::delete(store, req),
        (&Method::GET, true, false) if req.has("policy") => buckets::get_policy(store, req),
        (&Method::GET, true, false) if req.has("encryption") => buckets::get_encryption(store, req),
        (&Method::GET, true, false) if req.has("location") => buckets::location(store, req),
        (&Method::GET, true, false) if req.has("tagging") => bucket_settings::get_tagging(store, req),
        (&Method::GET, true, false) if req.has("versioning") => bucket_settings::get_versioning(store, req),
        (&Method::GET, true, false) if req.param("list-type") == Some("2") => list::list_v2(store, req),
        (&Method::GET, true, false) if req.query.iter().all(|(k, _)| LIST_V1_PARAMS.contains(&k.as_str())) => {
            list::list_v1(store, req)
        }
        (&Method::POST, true, false) if req.has("delete") => objects::delete_many(store, req),
        (&Method::PUT, true, true) if req.has("uploadId") && req.headers.contains_key("x-amz-copy-source") => {
            multipart::upload_part_copy(store, req, now)
        }
        (&Method::PUT, true, true) if req.has("uploadId") => multipart::upload_part(store, req, now),
        (&Method::PUT, true, true) if req.headers.contains_key("x-amz-copy-source") => objects::copy(store, req, now),
        (&Method::PUT, true, true) if plain(req) => objects::put(store, req, now),
        (&Method::GET, true, true) if req.has("uploadId") => multipart::list_parts(store, req),
        (&Method::GET, true, true) if plain_read(req) => objects::get(store, req, false),
        (&Method::HEAD, true, true) if plain_read(req) => objects::get(store, req, true),
        (&Method::DELETE, true, true) if req.has("uploadId") => multipart::abort(store, req),
        (&Method::DELETE, true, true) if plain(req) => objects::delete(store, req),
        (&Method::POST, true, true) if req.has("uploads") => multipart::create(store, req, now),
        (&Method::POST, true, true) if req.has("uploadId") => multipart::complete(store, req, &env.endpoint, now),
        _ => {
            let sub: Vec<&str> = req.query.iter().map(|(k, _)| k.as_str()).collect();
            Err(errors::not_implemented(&format!("{} {} ?{}", req.method, req.resource(), sub.join("&"))))
        }
    }
}

/// No sub-resource: an unsupported one (`?lifecycle`, `?tagging` on an object, …) must never fall
/// through to CreateBucket, DeleteBucket, PutObject or DeleteObject. The SDKs add `x-id=<Operation>` to some requests.
fn plain(req: &S3Request) -> bool {
    req.query.iter().all(|(k, _)| k == "x-id")
}

/// A read with no sub-resource; `response-*` overrides are accepted and ignored.
fn plain_read(req: &S3Request) -> bool {
    req.query.iter().all(|(k, _)| k == "x-id" || k.starts_with("response-"))
}

const LIST_V1_PARAMS: [&str; 5] = ["prefix", "delimiter", "marker", "max-keys", "encoding-type"];

impl Service for S3 {
    fn descriptor(&self) -> &Descriptor {
        &self.descriptor
    }

    fn call<'a>(&'a self, ctx: &'a Arc<CloudContext>, call: Call) -> BoxFuture<'a, Result<Output, ApiError>> {
        Box::pin(async move {
            let Input::Rest(rest) = call.input else {
                return Err(ApiError::bad_request("InvalidRequest", "S3 answers REST requests only"));
            };
            let head = rest.method == Method::HEAD;
            let resource = rest.uri.path().to_string();
            let request_id = call.request_id.clone();
            let env = Env {
                now_ms: ctx.clock.now_ms().max(0) as u64,
                account: ctx.account_id().to_string(),
                endpoint: ctx.endpoint_url.get().cloned().unwrap_or_default(),
            };
            let store = self.store.clone();
            let secret = ctx.config.auth.then(|| ctx.credentials.secret_access_key.clone());
            // Bodies are written and synced to disk: off the async workers.
            let result = tokio::task::spawn_blocking(move || {
                let req = S3Request::parse(*rest, call.region, secret)?;
                route(&store, &req, &env)
            })
            .await
            .unwrap_or_else(|e| Err(errors::internal(format!("the request's task failed: {e}"))));
            let mut response = result.unwrap_or_else(|e| errors::render(&e, &resource, &request_id, head));
            reply::set(&mut response, "x-amz-request-id", &request_id);
            Ok(Output::Rest(response))
        })
    }

    fn reset(&self) -> BoxFuture<'_, anyhow::Result<()>> {
        let store = self.store.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || store.clear()).await??;
            Ok(())
        })
    }
}
