//! awsQuery inputs: form-encoded `Action=<Op>&Version=<v>&…` parameters. Below both the protocol
//! framing (`query.rs`) and the service contract (`service.rs`), which both use them.

use std::collections::BTreeMap;

use crate::cloud::error::ApiError;

/// Decoded form parameters with the flattening conventions of awsQuery
/// (`Tags.member.1.Key`, `Parameters.member.2.ParameterValue`, …).
#[derive(Debug, Clone, Default)]
pub struct QueryParams {
    params: BTreeMap<String, String>,
    /// The request's path: SQS clients may address a queue by posting to its URL.
    path: Option<String>,
}

impl QueryParams {
    pub fn parse(form: &[u8]) -> Self {
        QueryParams { params: form_urlencoded::parse(form).into_owned().collect(), path: None }
    }

    /// The same parameters, sent to `path`.
    pub fn with_path(mut self, path: &str) -> Self {
        self.path = Some(path.to_string());
        self
    }

    pub fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.params.get(key).map(String::as_str)
    }

    pub fn action(&self) -> Option<&str> {
        self.get("Action")
    }

    /// A required parameter, or the AWS-shaped error naming it.
    pub fn required(&self, key: &str) -> Result<&str, ApiError> {
        self.get(key).ok_or_else(|| {
            ApiError::bad_request("MissingParameter", format!("The request must contain the parameter {key}"))
        })
    }

    /// The members of a list: `prefix.member.1`, `prefix.member.2`, … (stops at the first gap).
    /// Each member is returned as its own parameter view rooted at `prefix.member.N`.
    pub fn list(&self, prefix: &str) -> Vec<QueryParams> {
        let mut out = Vec::new();
        for n in 1.. {
            let root = format!("{prefix}.member.{n}");
            let dotted = format!("{root}.");
            let mut member = BTreeMap::new();
            for (k, v) in self.params.range(root.clone()..) {
                if k == &root {
                    member.insert(String::new(), v.clone());
                } else if let Some(rest) = k.strip_prefix(&dotted) {
                    member.insert(rest.to_string(), v.clone());
                } else if !k.starts_with(&root) {
                    break;
                }
            }
            if member.is_empty() {
                break;
            }
            out.push(QueryParams { params: member, path: None });
        }
        out
    }

    /// A list of scalars: `prefix.member.N` values.
    pub fn strings(&self, prefix: &str) -> Vec<String> {
        self.list(prefix).into_iter().filter_map(|m| m.get("").map(str::to_string)).collect()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.params.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_members() {
        let q = QueryParams::parse(
            b"Action=CreateStack&Parameters.member.1.ParameterKey=A&Parameters.member.1.ParameterValue=1&\
              Parameters.member.2.ParameterKey=B&Parameters.member.2.ParameterValue=x%20y&Capabilities.member.1=CAPABILITY_IAM",
        );
        assert_eq!(q.action(), Some("CreateStack"));
        let params = q.list("Parameters");
        assert_eq!(params.len(), 2);
        assert_eq!(params[1].get("ParameterValue"), Some("x y"));
        assert_eq!(q.strings("Capabilities"), vec!["CAPABILITY_IAM".to_string()]);
        assert_eq!(q.required("StackName").unwrap_err().code, "MissingParameter");
    }

    #[test]
    fn member_ten_does_not_swallow_member_one() {
        let mut form = String::new();
        for n in 1..=11 {
            form.push_str(&format!("L.member.{n}=v{n}&"));
        }
        let q = QueryParams::parse(form.as_bytes());
        let values = q.strings("L");
        assert_eq!(values.len(), 11);
        assert_eq!(values[0], "v1");
        assert_eq!(values[9], "v10");
    }
}
