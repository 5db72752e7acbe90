//! `Code.Location`: GetFunction answers a link to the function's zip, as AWS answers a presigned S3
//! URL. Locally it is `{endpoint}/_aws/lambda-code/<function>?expires=<ms>&sha=<code sha>&signature=<hmac>`,
//! served without SigV4 (a presigned link is its own credential): the HMAC-SHA256, keyed by a
//! per-data-dir secret in `<data dir>/lambda/code-url.key`, covers the function, the code's hash and the
//! expiry (ten minutes of the cloud clock), so a link cannot be forged, extended, or reused for code
//! uploaded after it was made.

use std::path::Path;

use hmac::{Hmac, KeyInit, Mac};
use sha2_hmac::Sha256;

use crate::cloud::clock::Millis;

pub const OPEN_PATH: &str = "lambda-code";
const KEY_FILE: &str = "code-url.key";

#[derive(Clone)]
pub struct CodeKey([u8; 32]);

impl CodeKey {
    pub fn load_or_create(dir: &Path) -> std::io::Result<CodeKey> {
        let path = dir.join(KEY_FILE);
        match std::fs::read(&path) {
            Ok(bytes) if bytes.len() == 32 => {
                let mut key = [0u8; 32];
                key.copy_from_slice(&bytes);
                return Ok(CodeKey(key));
            }
            Ok(_) => tracing::warn!(file = %path.display(), "replacing a malformed code URL key"),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(std::io::Error::new(e.kind(), format!("reading {}: {e}", path.display()))),
        }
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).map_err(|e| std::io::Error::other(format!("the OS random source failed: {e}")))?;
        crate::cloud::files::write_atomic(&path, &key)
            .map_err(|e| std::io::Error::new(e.kind(), format!("writing {}: {e}", path.display())))?;
        Ok(CodeKey(key))
    }

    fn mac(&self, function: &str, sha: &str, expires: Millis) -> Hmac<Sha256> {
        // HMAC takes a key of any length; 32 bytes cannot fail.
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!());
        mac.update(format!("{function}\n{sha}\n{expires}").as_bytes());
        mac
    }

    /// The link's path and query for `function` whose code hashes to `sha` (URL-safe base64 is kept
    /// as hex here, so the query needs no escaping).
    pub fn link(&self, endpoint: &str, function: &str, sha: &str, expires: Millis) -> String {
        let sha_hex = hex::encode(sha.as_bytes());
        let sig = hex::encode(self.mac(function, sha, expires).finalize().into_bytes());
        format!("{endpoint}/_aws/{OPEN_PATH}/{function}?expires={expires}&sha={sha_hex}&signature={sig}")
    }

    /// Checks a link's query for `function` at `now`: the code hash it was made for, or why it is refused.
    pub fn check(&self, function: &str, query: &str, now: Millis) -> Result<String, &'static str> {
        let mut expires = None;
        let mut sha = None;
        let mut sig = None;
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            match k.as_ref() {
                "expires" => expires = v.parse::<Millis>().ok(),
                "sha" => sha = hex::decode(v.as_bytes()).ok().and_then(|b| String::from_utf8(b).ok()),
                "signature" => sig = hex::decode(v.as_bytes()).ok(),
                _ => {}
            }
        }
        let (Some(expires), Some(sha), Some(sig)) = (expires, sha, sig) else {
            return Err("Query-string authentication requires the expires, sha and signature parameters");
        };
        self.mac(function, &sha, expires)
            .verify_slice(&sig)
            .map_err(|_| "The request signature we calculated does not match the signature you provided")?;
        if now > expires {
            return Err("Request has expired");
        }
        Ok(sha)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_works_until_it_expires_and_not_for_another_function_or_a_changed_signature() {
        let dir = tempfile::tempdir().unwrap();
        let key = CodeKey::load_or_create(dir.path()).unwrap();
        let link = key.link("http://h", "fare", "abc=", 1_000);
        let query = link.split_once('?').unwrap().1;
        assert_eq!(key.check("fare", query, 999), Ok("abc=".to_string()));
        assert_eq!(key.check("fare", query, 1_001), Err("Request has expired"));
        assert!(key.check("other", query, 0).is_err());
        let later = query.replace("expires=1000", "expires=99999");
        assert!(key.check("fare", &later, 0).unwrap_err().contains("signature"));
        let again = CodeKey::load_or_create(dir.path()).unwrap();
        assert_eq!(again.check("fare", query, 0), Ok("abc=".to_string()));
    }
}
