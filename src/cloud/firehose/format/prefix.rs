//! Prefix and error-output-prefix expressions: their rules and their evaluation.
