//! Which resource and method of a deployment answer a request path, as API Gateway chooses: a literal
//! path part beats a `{variable}`, which beats a greedy `{proxy+}`; a method the resource defines beats
//! its `ANY`.

use std::collections::BTreeMap;

use super::model::{Method, Resource};

pub struct Matched<'a> {
    pub resource: &'a Resource,
    pub method: &'a Method,
    pub path_params: BTreeMap<String, String>,
}

/// How a resource's path matches `segments`: the rank of each part (0 literal, 1 variable, 2 greedy)
/// and the variables bound, or `None`.
fn fit(resource_path: &str, segments: &[&str]) -> Option<(Vec<u8>, BTreeMap<String, String>)> {
    let parts: Vec<&str> = resource_path.split('/').filter(|p| !p.is_empty()).collect();
    let mut ranks = Vec::with_capacity(parts.len());
    let mut params = BTreeMap::new();
    for (i, part) in parts.iter().enumerate() {
        if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix("+}")) {
            if i != parts.len() - 1 || segments.len() <= i {
                return None;
            }
            params.insert(name.to_string(), segments[i..].join("/"));
            ranks.push(2);
            return Some((ranks, params));
        }
        let seg = segments.get(i)?;
        if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            if seg.is_empty() {
                return None;
            }
            params.insert(name.to_string(), seg.to_string());
            ranks.push(1);
        } else if part == seg {
            ranks.push(0);
        } else {
            return None;
        }
    }
    (parts.len() == segments.len()).then_some((ranks, params))
}

/// The resource and method answering `method` on `path` (the part after the stage, decoded).
pub fn find<'a>(resources: &'a BTreeMap<String, Resource>, method: &str, path: &str) -> Option<Matched<'a>> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let mut best: Option<(Vec<u8>, Matched<'a>)> = None;
    for resource in resources.values() {
        let Some(m) = resource.resource_methods.get(method).or_else(|| resource.resource_methods.get("ANY")) else {
            continue;
        };
        let Some((rank, path_params)) = fit(&resource.path, &segments) else { continue };
        let better = best
            .as_ref()
            .is_none_or(|(r, b)| rank < *r || (rank == *r && b.method.http_method == "ANY" && m.http_method != "ANY"));
        if better {
            best = Some((rank, Matched { resource, method: m, path_params }));
        }
    }
    best.map(|(_, m)| m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resources(paths: &[(&str, &str)]) -> BTreeMap<String, Resource> {
        paths
            .iter()
            .enumerate()
            .map(|(i, (path, method))| {
                let m = Method { http_method: method.to_string(), ..Method::default() };
                let r = Resource {
                    id: i.to_string(),
                    path: path.to_string(),
                    resource_methods: BTreeMap::from([(method.to_string(), m)]),
                    ..Resource::default()
                };
                (i.to_string(), r)
            })
            .collect()
    }

    #[test]
    fn literals_beat_variables_beat_greedy_paths() {
        let rs = resources(&[
            ("/", "GET"),
            ("/records", "POST"),
            ("/{id}", "ANY"),
            ("/{proxy+}", "ANY"),
            ("/a/{b}/c", "GET"),
        ]);
        let hit = |m: &str, p: &str| find(&rs, m, p).map(|x| (x.resource.path.clone(), x.path_params.clone()));
        assert_eq!(hit("GET", "").unwrap().0, "/");
        assert_eq!(hit("POST", "/records").unwrap().0, "/records");
        let (path, params) = hit("GET", "/records").unwrap();
        assert_eq!((path.as_str(), params["id"].as_str()), ("/{id}", "records"));
        let (path, params) = hit("DELETE", "/x/y/z").unwrap();
        assert_eq!((path.as_str(), params["proxy"].as_str()), ("/{proxy+}", "x/y/z"));
        assert_eq!(hit("GET", "/a/7/c").unwrap().1["b"], "7");
        assert!(hit("POST", "").is_none());
    }
}
