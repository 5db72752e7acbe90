//! The first stage of every request, before its body is read: refuse what a web page could send.
//!
//! A page the user visits can make the browser send no-preflight requests to `127.0.0.1:4599`
//! (they carry an `Origin`), and DNS rebinding lets a page's own name resolve to loopback (its
//! `Host` is then that name). Neither can forge a loopback `Host` together with no `Origin`, which
//! is what SDKs and the CLI send.

use std::net::IpAddr;

use http::{HeaderMap, StatusCode, Uri};

use super::error::ApiError;

/// What a request may name as its `Host` and `Origin`.
pub struct Guard<'a> {
    /// The address the host was told to bind (allowed as a `Host` when it is not a wildcard).
    pub bind: IpAddr,
    /// The local address the connection arrived on (allowed: a client dialled it by number).
    pub local: Option<IpAddr>,
    pub allowed_origins: &'a [String],
}

impl Guard<'_> {
    /// Refuses a request whose `Host` is not a loopback name or address, or ours, or whose `Origin`
    /// is not an allowed one, with a 403 naming the header and value.
    pub fn check(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        let Some(host) = headers.get(http::header::HOST) else {
            return Err(refused("a request without a Host header is refused".into()));
        };
        let host = host.to_str().unwrap_or_default();
        if !self.host_allowed(host) {
            return Err(refused(format!(
                "Host '{host}' is not a loopback name or address of the local cloud; requests for other \
                 names are refused (DNS rebinding protection)"
            )));
        }
        for origin in headers.get_all(http::header::ORIGIN) {
            let origin = origin.to_str().unwrap_or_default();
            if !self.origin_allowed(origin) {
                return Err(refused(format!(
                    "Origin '{origin}' is not allowed: the local cloud refuses requests from web pages \
                     (allow one with `local serve --allow-origin ORIGIN`)"
                )));
            }
        }
        Ok(())
    }

    /// As [`check`](Self::check), and the authority of an absolute-form request target
    /// (`POST http://name/ HTTP/1.1`) must pass as a `Host` would.
    pub fn check_request(&self, uri: &Uri, headers: &HeaderMap) -> Result<(), ApiError> {
        if let Some(authority) = uri.authority()
            && !self.host_allowed(authority.as_str())
        {
            return Err(refused(format!(
                "request target authority '{authority}' is not a loopback name or address of the local cloud"
            )));
        }
        self.check(headers)
    }

    fn host_allowed(&self, host: &str) -> bool {
        let Some(name) = host_name(host) else { return false };
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        if name == "localhost" || name.ends_with(".localhost") {
            return true;
        }
        match name.parse::<IpAddr>() {
            Ok(ip) => ip.is_loopback() || (ip == self.bind && !ip.is_unspecified()) || Some(ip) == self.local,
            Err(_) => false,
        }
    }

    fn origin_allowed(&self, origin: &str) -> bool {
        let origin = origin.trim_end_matches('/');
        self.allowed_origins.iter().any(|allowed| allowed.trim_end_matches('/').eq_ignore_ascii_case(origin))
    }
}

/// The name or address of a `Host` value without its port: `[::1]:4599` → `::1`, `a.localhost:1` → `a.localhost`.
fn host_name(host: &str) -> Option<&str> {
    if let Some(rest) = host.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        return (after.is_empty() || port(after.strip_prefix(':')?)).then_some(inside);
    }
    match host.rsplit_once(':') {
        Some((name, p)) if port(p) => Some(name),
        Some(_) => None,
        None => Some(host),
    }
}

fn port(p: &str) -> bool {
    !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit())
}

fn refused(message: String) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "AccessDeniedException", message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap());
        }
        h
    }

    fn guard(origins: &[String]) -> Guard<'_> {
        Guard {
            bind: IpAddr::from([127, 0, 0, 1]),
            local: Some(IpAddr::from([127, 0, 0, 1])),
            allowed_origins: origins,
        }
    }

    #[test]
    fn loopback_hosts_pass_and_other_names_are_refused() {
        let g = guard(&[]);
        for ok in [
            "localhost",
            "localhost:4599",
            "bucket.localhost:4599",
            "127.0.0.1:4599",
            "127.8.9.1",
            "[::1]:4599",
            "[::1]",
            "LOCALHOST.",
        ] {
            assert!(g.check(&headers(&[("host", ok)])).is_ok(), "{ok}");
        }
        for bad in [
            "evil.example:4599",
            "evil.example",
            "localhost.evil.example",
            "10.0.0.1:4599",
            "[::2]:1",
            "localhost:x",
            "",
        ] {
            let err = g.check(&headers(&[("host", bad)])).unwrap_err();
            assert_eq!((err.status.as_u16(), &*err.code), (403, "AccessDeniedException"), "{bad}");
        }
        assert!(g.check(&HeaderMap::new()).is_err(), "no Host at all");
    }

    #[test]
    fn the_bind_address_and_the_connection_address_pass() {
        let g = Guard {
            bind: IpAddr::from([192, 168, 1, 5]),
            local: Some(IpAddr::from([10, 0, 0, 7])),
            allowed_origins: &[],
        };
        assert!(g.check(&headers(&[("host", "192.168.1.5:4599")])).is_ok());
        assert!(g.check(&headers(&[("host", "10.0.0.7:4599")])).is_ok());
        assert!(g.check(&headers(&[("host", "10.0.0.8:4599")])).is_err());
        let wildcard = Guard { bind: IpAddr::from([0, 0, 0, 0]), local: None, allowed_origins: &[] };
        assert!(wildcard.check(&headers(&[("host", "0.0.0.0:4599")])).is_err());
    }

    #[test]
    fn an_absolute_form_target_must_name_loopback_too() {
        let g = guard(&[]);
        let h = headers(&[("host", "localhost:4599")]);
        assert!(g.check_request(&"/".parse().unwrap(), &h).is_ok());
        assert!(g.check_request(&"http://localhost:4599/".parse().unwrap(), &h).is_ok());
        assert!(g.check_request(&"http://evil.example:4599/".parse().unwrap(), &h).is_err());
    }

    #[test]
    fn origins_pass_only_when_allowed() {
        let allowed = vec!["http://localhost:3000".to_string()];
        let g = guard(&allowed);
        let host = ("host", "127.0.0.1:4599");
        assert!(g.check(&headers(&[host, ("origin", "http://localhost:3000")])).is_ok());
        let err = g.check(&headers(&[host, ("origin", "https://evil.example")])).unwrap_err();
        assert!(err.message.contains("https://evil.example"), "{}", err.message);
        assert!(g.check(&headers(&[host, ("origin", "null")])).is_err());
        assert!(guard(&[]).check(&headers(&[host, ("origin", "http://localhost:3000")])).is_err(), "none by default");
    }
}
