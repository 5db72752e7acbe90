//! The shape of values of CloudFormation's AWS-specific parameter types. CloudFormation also checks
//! that the resource exists in the account; without EC2 or Route 53 to ask, the shape is all that can
//! be checked. The console's own parameter check (`patterns::validate`) uses the same rules.

/// `None` when `value` has the shape of `type_name`, else what it should look like.
pub fn shape_problem(type_name: &str, value: &str) -> Option<String> {
    let id = |prefix: &str| resource_id(value, prefix).then_some(()).ok_or_else(|| id_shape(prefix));
    let result = match type_name {
        "AWS::EC2::Subnet::Id" => id("subnet"),
        "AWS::EC2::VPC::Id" => id("vpc"),
        "AWS::EC2::SecurityGroup::Id" => id("sg"),
        "AWS::EC2::Image::Id" => id("ami"),
        "AWS::EC2::Instance::Id" => id("i"),
        "AWS::EC2::Volume::Id" => id("vol"),
        "AWS::EC2::AvailabilityZone::Name" => {
            availability_zone(value).then_some(()).ok_or_else(|| "an Availability Zone name such as us-east-1a".into())
        }
        "AWS::EC2::KeyPair::KeyName" | "AWS::EC2::SecurityGroup::GroupName" => {
            name(value, 255).then_some(()).ok_or_else(|| "a name of 1 to 255 ASCII characters".into())
        }
        "AWS::Route53::HostedZone::Id" => {
            hosted_zone(value).then_some(()).ok_or_else(|| "a hosted zone id such as Z23YXV4OVPL04A".into())
        }
        // Types added to CloudFormation later: only an empty value is certainly wrong.
        _ => (!value.is_empty()).then_some(()).ok_or_else(|| "a non-empty value".into()),
    };
    result.err()
}

fn id_shape(prefix: &str) -> String {
    format!("an id of the form {prefix}- followed by 8 or 17 hexadecimal digits")
}

/// `<prefix>-` then 8 (older resources) or 17 lower-case hexadecimal digits.
fn resource_id(value: &str, prefix: &str) -> bool {
    let Some(hex) = value.strip_prefix(prefix).and_then(|r| r.strip_prefix('-')) else { return false };
    (hex.len() == 8 || hex.len() == 17) && hex.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
}

/// Region then a zone letter: `us-east-1a`, `us-gov-west-1b`, local zones `us-west-2-lax-1a`.
fn availability_zone(value: &str) -> bool {
    let parts: Vec<&str> = value.split('-').collect();
    let Some(last) = parts.last() else { return false };
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[0].chars().all(|c| c.is_ascii_lowercase())
        && parts.iter().all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()))
        && last.len() >= 2
        && last.starts_with(|c: char| c.is_ascii_digit())
        && last.ends_with(|c: char| c.is_ascii_lowercase())
}

fn name(value: &str, max: usize) -> bool {
    !value.is_empty() && value.len() <= max && value.is_ascii()
}

fn hosted_zone(value: &str) -> bool {
    value.len() >= 2
        && value.len() <= 32
        && value.starts_with('Z')
        && value.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_need_their_prefix_and_8_or_17_hex_digits() {
        assert_eq!(shape_problem("AWS::EC2::Subnet::Id", "subnet-0123456789abcdef0"), None);
        assert_eq!(shape_problem("AWS::EC2::Subnet::Id", "subnet-12345678"), None);
        assert!(shape_problem("AWS::EC2::Subnet::Id", "sg-12345678").is_some());
        assert!(shape_problem("AWS::EC2::VPC::Id", "vpc-1234").is_some());
        assert!(shape_problem("AWS::EC2::VPC::Id", "vpc-1234567G").is_some());
        assert_eq!(shape_problem("AWS::EC2::SecurityGroup::Id", "sg-0a1b2c3d4e5f60718"), None);
    }

    #[test]
    fn zones_names_and_hosted_zones() {
        assert_eq!(shape_problem("AWS::EC2::AvailabilityZone::Name", "us-east-1a"), None);
        assert_eq!(shape_problem("AWS::EC2::AvailabilityZone::Name", "us-gov-west-1b"), None);
        assert!(shape_problem("AWS::EC2::AvailabilityZone::Name", "us-east-1").is_some());
        assert!(shape_problem("AWS::EC2::KeyPair::KeyName", "").is_some());
        assert_eq!(shape_problem("AWS::Route53::HostedZone::Id", "Z23YXV4OVPL04A"), None);
    }
}
