//! How Lambda names things: function names and ARNs as its operations accept them, the ARNs it
//! answers with, its time format, and the state a function reports on the cloud clock.

use http::StatusCode;

use super::model::Function;
use crate::cloud::clock::Millis;
use crate::cloud::error::ApiError;

/// `FunctionName` as Lambda accepts it: `name`, `account:function:name`, or the full ARN, each with an
/// optional `:$LATEST` qualifier (versions and aliases are not published locally).
pub fn resolve_name(given: &str, region: &str, account: &str) -> Result<String, ApiError> {
    let parts: Vec<&str> = given.split(':').collect();
    let (name, qualifier) = match parts.as_slice() {
        [name] => (*name, None),
        [name, q] => (*name, Some(*q)),
        [acct, "function", name] => {
            check_account(acct, account)?;
            (*name, None)
        }
        [acct, "function", name, q] => {
            check_account(acct, account)?;
            (*name, Some(*q))
        }
        ["arn", _, "lambda", r, acct, "function", name] => {
            check_region(r, region)?;
            check_account(acct, account)?;
            (*name, None)
        }
        ["arn", _, "lambda", r, acct, "function", name, q] => {
            check_region(r, region)?;
            check_account(acct, account)?;
            (*name, Some(*q))
        }
        _ => return Err(invalid_name(given)),
    };
    if let Some(q) = qualifier
        && q != "$LATEST"
    {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "ResourceNotFoundException",
            format!("Function not found: {}:{q}", function_arn(region, account, name)),
        ));
    }
    let valid =
        !name.is_empty() && name.len() <= 64 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !valid {
        return Err(invalid_name(given));
    }
    Ok(name.to_string())
}

fn invalid_name(given: &str) -> ApiError {
    ApiError::validation(format!(
        "1 validation error detected: Value '{given}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{{2}}(-gov)?-[a-z]+-\\d{{1}}:)?(\\d{{12}}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?"
    ))
}

fn check_account(given: &str, account: &str) -> Result<(), ApiError> {
    if given == account {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::FORBIDDEN,
        "AccessDeniedException",
        format!("The function's account {given} is not the local account {account}"),
    ))
}

fn check_region(given: &str, region: &str) -> Result<(), ApiError> {
    if given == region {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::FORBIDDEN,
        "AccessDeniedException",
        format!("The function's region {given} is not the request's region {region}"),
    ))
}

pub fn function_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:lambda:{region}:{account}:function:{name}")
}

pub fn not_found(name: &str, region: &str, account: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "ResourceNotFoundException",
        format!("Function not found: {}", function_arn(region, account, name)),
    )
}

/// Lambda's `LastModified` for functions: `2019-09-24T18:20:35.054+0000`.
pub fn last_modified(ms: Millis) -> String {
    let t = crate::text_format::timestamp_ms(ms);
    match t.strip_suffix('Z') {
        Some(t) => format!("{t}+0000"),
        None => t,
    }
}

/// `(State, LastUpdateStatus)` at `now`: `Pending`/`InProgress` during the transition after a creation,
/// `Active`/`InProgress` after an update, then `Active`/`Successful`.
pub fn function_state(f: &Function, now: Millis) -> (&'static str, &'static str) {
    match (now < f.ready_at_ms, f.created_only) {
        (true, true) => ("Pending", "InProgress"),
        (true, false) => ("Active", "InProgress"),
        (false, _) => ("Active", "Successful"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_partial_and_full_arns_resolve_and_others_are_refused() {
        let ok = |s| resolve_name(s, "us-east-1", "000000000000");
        assert_eq!(ok("fare").unwrap(), "fare");
        assert_eq!(ok("fare:$LATEST").unwrap(), "fare");
        assert_eq!(ok("000000000000:function:fare").unwrap(), "fare");
        assert_eq!(ok("arn:aws:lambda:us-east-1:000000000000:function:fare").unwrap(), "fare");
        assert_eq!(ok("fare:3").unwrap_err().code, "ResourceNotFoundException");
        assert_eq!(ok("fa re").unwrap_err().code, "ValidationException");
        assert_eq!(
            ok("arn:aws:lambda:eu-west-1:000000000000:function:fare").unwrap_err().code,
            "AccessDeniedException"
        );
        assert_eq!(last_modified(0), "1970-01-01T00:00:00.000+0000");
    }
}
