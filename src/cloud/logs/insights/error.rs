//! A query that does not compile: what is wrong and where, answered as AWS's
//! `MalformedQueryException`, whose message here carries the character offsets of the fault.

use crate::cloud::error::ApiError;

#[derive(Debug, Clone, PartialEq)]
pub struct QueryError {
    pub message: String,
    /// Character offsets into the query text, `start` inclusive, `end` exclusive.
    pub start: usize,
    pub end: usize,
}

impl QueryError {
    pub fn new(message: impl Into<String>, start: usize, end: usize) -> Self {
        QueryError { message: message.into(), start, end }
    }

    pub fn to_api(&self, query: &str) -> ApiError {
        let (line, column) = line_and_column(query, self.start);
        ApiError::bad_request(
            "MalformedQueryException",
            format!(
                "Query is malformed at line {line}, column {column} (characters {}-{}): {}",
                self.start, self.end, self.message
            ),
        )
    }
}

/// One-based line and column of character offset `at`.
fn line_and_column(text: &str, at: usize) -> (usize, usize) {
    let mut line = 1;
    let mut column = 1;
    for c in text.chars().take(at) {
        if c == '\n' {
            line += 1;
            column = 1;
        } else {
            column += 1;
        }
    }
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_names_the_line_column_and_offsets() {
        let e = QueryError::new("expected a field", 9, 10).to_api("fields a\n| sort");
        assert_eq!(e.code, "MalformedQueryException");
        assert_eq!(e.message, "Query is malformed at line 2, column 1 (characters 9-10): expected a field");
    }
}
