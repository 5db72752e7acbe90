//! CloudWatch Logs Insights: StartQuery, GetQueryResults, StopQuery and DescribeQueries over the
//! log groups of this service, with the query-language subset the pattern dashboards use.
//!
//! | file          | idea                                                            |
//! |---------------|-----------------------------------------------------------------|
//! | `lexer.rs`    | query text to tokens with their places                          |
//! | `parser.rs`   | tokens to a [`ast::Query`], nesting bounded                     |
//! | `ast.rs`      | the commands and expressions                                    |
//! | `error.rs`    | a compile error, answered as `MalformedQueryException`          |
//! | `record.rs`   | an event's fields: system fields and discovered JSON members    |
//! | `value.rs`    | values, their comparison and display                            |
//! | `eval.rs`     | an expression over one row                                      |
//! | `stats.rs`    | `stats … by …`                                                  |
//! | `run.rs`      | the pipeline, and the result rows' shape                        |
//! | `registry.rs` | query lifecycle, concurrency quota, how long results are kept   |
//! | `api.rs`      | the four operations' input rules and output shapes              |

pub mod api;
pub mod ast;
pub mod error;
pub mod eval;
pub mod lexer;
pub mod parser;
pub mod record;
pub mod registry;
pub mod run;
pub mod stats;
pub mod value;

pub use registry::QueryRegistry;
