//! The dashboard bodies of the pattern templates, with their `Fn::Sub` variables substituted the
//! way a deployment named `STACK` in the local cloud's account and region would.

use std::path::PathBuf;

pub const STACK: &str = "demo";
pub const REGION: &str = "us-east-1";
pub const ACCOUNT: &str = "000000000000";
pub const PATTERNS: [&str; 4] = ["apigw-kds-lambda", "kpl-kds-kda", "kds-kdf-s3", "kds-kda-apigw"];

/// The `Fn::Sub` template string of the template's `DashboardBody`: the `- |` block under it.
pub fn raw_body(pattern: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("templates").join(format!("{pattern}.yaml"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines().skip_while(|l| !l.trim_start().starts_with("DashboardBody: !Sub"));
    let head = lines.next().expect("a DashboardBody: !Sub");
    // `!Sub |` (the string alone) or `!Sub` then `- |` (the string and a variable map).
    if !head.trim_end().ends_with('|') {
        assert_eq!(lines.next().map(str::trim), Some("- |"), "{pattern}: the body is a literal block");
    }
    let mut body = String::new();
    let mut indent = None;
    for line in lines {
        let depth = line.len() - line.trim_start().len();
        let want = *indent.get_or_insert(depth);
        if depth < want || line.trim().is_empty() {
            break;
        }
        body.push_str(&line[want..]);
        body.push('\n');
    }
    body
}

/// What a variable resolves to: alarm ARNs for `X.Arn`, the region, or a resource name.
pub fn resolve(name: &str) -> String {
    match name {
        "AWS::Region" => REGION.to_string(),
        "AWS::AccountId" => ACCOUNT.to_string(),
        "AWS::StackName" => STACK.to_string(),
        "AWS::Partition" => "aws".to_string(),
        _ => match name.strip_suffix(".Arn") {
            Some(alarm) => format!("arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{}", alarm_name(alarm)),
            None => format!("{STACK}-{name}"),
        },
    }
}

/// The name the alarm resource `logical` gets in the deployment.
pub fn alarm_name(logical: &str) -> String {
    format!("{STACK}-{logical}")
}

/// Replaces every `${…}` with `resolve(…)`.
pub fn substitute(template: &str, resolve: impl Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(at) = rest.find("${") {
        out.push_str(&rest[..at]);
        let close = rest[at..].find('}').expect("closed ${") + at;
        out.push_str(&resolve(&rest[at + 2..close]));
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

/// The pattern's dashboard body as the deployment `demo` has it.
pub fn body(pattern: &str) -> String {
    substitute(&raw_body(pattern), resolve)
}

/// The logical names of the alarms the pattern's dashboard refers to.
pub fn alarm_logical_ids(pattern: &str) -> Vec<String> {
    let raw = raw_body(pattern);
    let mut out = Vec::new();
    let mut rest = raw.as_str();
    while let Some(at) = rest.find(".Arn}") {
        let start = rest[..at].rfind("${").expect("an opening ${") + 2;
        out.push(rest[start..at].to_string());
        rest = &rest[at + 5..];
    }
    out
}
