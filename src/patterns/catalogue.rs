//! The four patterns the console deploys, with their templates and diagrams built into the binary.
//! Everything about a pattern beyond its name and summary is read from its template.

use std::fmt::Write as _;
use std::sync::OnceLock;

use serde::Serialize;

use super::template::Template;
use super::yaml::TemplateError;

macro_rules! asset {
    ($path:literal) => {
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/", $path))
    };
}

struct Source {
    id: &'static str,
    title: &'static str,
    summary: &'static str,
    template: &'static str,
    diagram: &'static str,
}

/// In pattern-number order: the first is pattern 1.
const SOURCES: [Source; 4] = [
    Source {
        id: "apigw-kds-lambda",
        title: "API Gateway → Kinesis Data Streams → Lambda",
        summary: "An IAM-authenticated REST API writes to a stream; a Lambda function consumes it, \
                  failed batches go to an SQS dead-letter queue.",
        template: asset!("templates/apigw-kds-lambda.yaml"),
        diagram: asset!("assets/diagrams/apigw-kds-lambda.txt"),
    },
    Source {
        id: "kpl-kds-kda",
        title: "KPL producer → Kinesis Data Streams → Managed Flink → S3",
        summary: "Ticker records into a stream; a Flink job takes each ticker's maximum price over \
                  sliding event-time windows and writes it to S3.",
        template: asset!("templates/kpl-kds-kda.yaml"),
        diagram: asset!("assets/diagrams/kpl-kds-kda.txt"),
    },
    Source {
        id: "kds-kdf-s3",
        title: "Kinesis Data Streams → Firehose → S3",
        summary: "Firehose buffers and compresses a stream's records into an encrypted S3 bucket \
                  under hourly Hive-style prefixes.",
        template: asset!("templates/kds-kdf-s3.yaml"),
        diagram: asset!("assets/diagrams/kds-kdf-s3.txt"),
    },
    Source {
        id: "kds-kda-apigw",
        title: "Kinesis Data Streams → Managed Flink → API Gateway",
        summary: "Replayed taxi trips into a stream; a Flink job enriches a sample of them with fares \
                  from a REST API backed by Lambda.",
        template: asset!("templates/kds-kda-apigw.yaml"),
        diagram: asset!("assets/diagrams/kds-kda-apigw.txt"),
    },
];

#[derive(Debug, Clone, Serialize)]
pub struct Pattern {
    pub id: &'static str,
    pub number: u8,
    pub title: &'static str,
    pub summary: &'static str,
    /// Where the template lives in the source tree (`templates/<id>.yaml`).
    pub file: String,
    #[serde(skip)]
    pub diagram: &'static str,
    #[serde(skip)]
    pub template: Template,
}

impl Pattern {
    /// The template exactly as bundled: what is sent to CloudFormation.
    pub fn template_text(&self) -> &'static str {
        self.template.text
    }
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("the bundled template of {pattern} is invalid at {source}")]
pub struct CatalogueError {
    pub pattern: &'static str,
    pub source: TemplateError,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown pattern {given:?}; the patterns are: {}", list())]
pub struct UnknownPattern {
    pub given: String,
}

#[derive(Debug)]
pub struct Catalogue {
    patterns: Vec<Pattern>,
}

/// The catalogue, read from the bundled templates once per process.
pub fn catalogue() -> Result<&'static Catalogue, CatalogueError> {
    static CATALOGUE: OnceLock<Result<Catalogue, CatalogueError>> = OnceLock::new();
    CATALOGUE.get_or_init(Catalogue::load).as_ref().map_err(Clone::clone)
}

impl Catalogue {
    fn load() -> Result<Catalogue, CatalogueError> {
        let mut patterns = Vec::with_capacity(SOURCES.len());
        for (i, s) in SOURCES.iter().enumerate() {
            let template = Template::parse(s.template).map_err(|source| CatalogueError { pattern: s.id, source })?;
            patterns.push(Pattern {
                id: s.id,
                number: i as u8 + 1,
                title: s.title,
                summary: s.summary,
                file: format!("templates/{}.yaml", s.id),
                diagram: s.diagram,
                template,
            });
        }
        Ok(Catalogue { patterns })
    }

    pub fn patterns(&self) -> &[Pattern] {
        &self.patterns
    }

    /// A pattern by id (`kds-kdf-s3`) or number (`3`).
    pub fn find(&self, key: &str) -> Result<&Pattern, UnknownPattern> {
        let key = key.trim();
        self.patterns
            .iter()
            .find(|p| p.id.eq_ignore_ascii_case(key) || key.parse::<u8>().is_ok_and(|n| n == p.number))
            .ok_or_else(|| UnknownPattern { given: key.to_string() })
    }
}

fn list() -> String {
    let mut s = String::new();
    for (i, src) in SOURCES.iter().enumerate() {
        let _ = write!(s, "{}{} ({})", if i == 0 { "" } else { ", " }, src.id, i + 1);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_by_id_or_number_and_lists_the_ids_otherwise() {
        let c = catalogue().unwrap();
        assert_eq!(c.find("3").unwrap().id, "kds-kdf-s3");
        assert_eq!(c.find("kpl-kds-kda").unwrap().number, 2);
        let err = c.find("kds-s3").unwrap_err().to_string();
        assert_eq!(
            err,
            "unknown pattern \"kds-s3\"; the patterns are: apigw-kds-lambda (1), kpl-kds-kda (2), kds-kdf-s3 (3), \
             kds-kda-apigw (4)"
        );
        assert!(c.find("0").is_err() && c.find("5").is_err());
    }
}
