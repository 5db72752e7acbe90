//! `Fn::Cidr`: `count` consecutive subnets of `cidr_bits` host bits carved from the start of a block.

use std::net::{Ipv4Addr, Ipv6Addr};

/// AWS's bound on `count`.
pub const MAX_COUNT: u64 = 256;

/// The subnets, or why the arguments cannot give them.
pub fn subnets(block: &str, count: u64, cidr_bits: u64) -> Result<Vec<String>, String> {
    let (addr, prefix) = block.split_once('/').ok_or_else(|| format!("{block} is not a CIDR block"))?;
    let prefix: u32 = prefix.parse().map_err(|_| format!("{block} is not a CIDR block"))?;
    if !(1..=MAX_COUNT).contains(&count) {
        return Err(format!("Fn::Cidr count must be between 1 and {MAX_COUNT}, not {count}"));
    }
    if let Ok(v4) = addr.parse::<Ipv4Addr>() {
        let base = u32::from(v4) as u128;
        carve(base, prefix, 32, count, cidr_bits, block)
            .map(|nets| nets.into_iter().map(|(n, p)| format!("{}/{p}", Ipv4Addr::from(n as u32))).collect())
    } else if let Ok(v6) = addr.parse::<Ipv6Addr>() {
        carve(u128::from(v6), prefix, 128, count, cidr_bits, block)
            .map(|nets| nets.into_iter().map(|(n, p)| format!("{}/{p}", Ipv6Addr::from(n))).collect())
    } else {
        Err(format!("{block} is not a CIDR block"))
    }
}

fn carve(
    base: u128,
    prefix: u32,
    width: u32,
    count: u64,
    cidr_bits: u64,
    block: &str,
) -> Result<Vec<(u128, u32)>, String> {
    if prefix > width {
        return Err(format!("{block} is not a CIDR block"));
    }
    let host_bits = width - prefix;
    if cidr_bits == 0 || cidr_bits > u64::from(host_bits) {
        return Err(format!("Fn::Cidr cidrBits {cidr_bits} must be between 1 and {host_bits} for {block}"));
    }
    let sub_prefix = width - cidr_bits as u32;
    // How many subnets of that size the block holds: 2^(sub_prefix - prefix), capped to avoid overflow.
    let room = sub_prefix - prefix;
    if room < 64 && count > (1u64 << room) {
        return Err(format!(
            "Fn::Cidr cannot carve {count} subnets of {cidr_bits} host bits from {block}: it holds {}",
            1u64 << room
        ));
    }
    let mask = if prefix == 0 { 0 } else { (!0u128 << (128 - prefix)) >> (128 - width) };
    let start = base & mask;
    // A subnet of all 128 bits is the whole IPv6 space; its size does not fit the arithmetic below.
    if cidr_bits >= 128 {
        return Ok(vec![(start, 0)]);
    }
    let step = 1u128 << cidr_bits;
    Ok((0..count as u128).map(|i| (start + i * step, sub_prefix)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carves_consecutive_ipv4_subnets() {
        assert_eq!(
            subnets("192.168.0.0/24", 6, 5).unwrap(),
            [
                "192.168.0.0/27",
                "192.168.0.32/27",
                "192.168.0.64/27",
                "192.168.0.96/27",
                "192.168.0.128/27",
                "192.168.0.160/27"
            ]
        );
        assert_eq!(subnets("10.0.0.0/16", 2, 8).unwrap(), ["10.0.0.0/24", "10.0.1.0/24"]);
    }

    #[test]
    fn carves_ipv6_subnets() {
        assert_eq!(subnets("2001:db8::/56", 2, 64).unwrap(), ["2001:db8::/64", "2001:db8:0:1::/64"]);
        assert_eq!(subnets("::/0", 1, 128).unwrap(), ["::/0"]);
        assert!(subnets("::/0", 2, 128).is_err());
        assert_eq!(subnets("0.0.0.0/0", 2, 31).unwrap(), ["0.0.0.0/1", "128.0.0.0/1"]);
    }

    #[test]
    fn refuses_what_does_not_fit() {
        assert!(subnets("10.0.0.0/24", 9, 5).unwrap_err().contains("holds 8"));
        assert!(subnets("10.0.0.0/24", 1, 9).is_err());
        assert!(subnets("10.0.0.0/24", 0, 4).is_err());
        assert!(subnets("10.0.0.0/24", 257, 1).is_err());
        assert!(subnets("10.0.0.0", 1, 4).is_err());
        assert!(subnets("10.0.0.300/24", 1, 4).is_err());
    }

    proptest::proptest! {
        /// Any block, count and size: subnets or a reason, never a panic; subnets are consecutive and
        /// as many as asked.
        #[test]
        fn any_arguments_give_subnets_or_a_reason(v6 in proptest::bool::ANY, a in proptest::num::u32::ANY,
                                                   prefix in 0u32..=130, count in 0u64..300, bits in 0u64..=130) {
            let block = if v6 { format!("{}/{prefix}", Ipv6Addr::from(u128::from(a) << 96)) } else { format!("{}/{prefix}", Ipv4Addr::from(a)) };
            if let Ok(nets) = subnets(&block, count, bits) {
                proptest::prop_assert_eq!(nets.len() as u64, count);
            }
        }
    }
}
