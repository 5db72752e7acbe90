//! The shape of values of CloudFormation's AWS-specific parameter types. The CloudFormation engine
//! owns the rules for `AWS::EC2::…` and the other resource types, so a value the console accepts is one
//! the local cloud accepts; SSM parameter names are checked here, as the local cloud refuses SSM types.

pub use crate::cloud::cloudformation::template::aws_types::shape_problem;

/// `AWS::SSM::Parameter::Name` and `AWS::SSM::Parameter::Value<…>` take a parameter name.
pub fn ssm_name_problem(value: &str) -> Option<String> {
    let ok = !value.is_empty()
        && value.len() <= 2048
        && value.chars().all(|c| c.is_ascii_alphanumeric() || "_.-/".contains(c));
    (!ok).then(|| {
        "an SSM parameter name such as /aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64".into()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssm_parameter_names() {
        assert_eq!(ssm_name_problem("/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2"), None);
        assert!(ssm_name_problem("bad name").is_some());
    }
}
