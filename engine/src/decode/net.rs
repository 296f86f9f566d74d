//! inet, cidr, macaddr and macaddr8 as PostgreSQL prints them (its inet_net_ntop: IPv6 with
//! the longest run of zero words as `::`, embedded IPv4 in dotted form).

use std::fmt::Write;

use super::DecodeError;

/// Appends an inet or cidr: family, bits, is_cidr, address length, address.
pub(super) fn inet(b: &[u8], out: &mut String) -> Result<(), DecodeError> {
    let bad = |why: &str| DecodeError::new("inet", why.to_string());
    let [family, bits, is_cidr, nb, addr @ ..] = b else { return Err(bad("shorter than its header")) };
    let (bits, is_cidr) = (*bits as u32, *is_cidr != 0);
    if addr.len() != *nb as usize {
        return Err(bad("address length does not match"));
    }
    let start = out.len();
    match (family, addr.len()) {
        (2, 4) => {
            let _ = write!(out, "{}.{}.{}.{}", addr[0], addr[1], addr[2], addr[3]);
            if bits != 32 {
                let _ = write!(out, "/{bits}");
            }
        }
        (3, 16) => {
            ipv6(addr.try_into().expect("16 bytes"), out);
            if bits != 128 {
                let _ = write!(out, "/{bits}");
            }
        }
        _ => return Err(bad("unknown address family")),
    }
    if is_cidr && !out[start..].contains('/') {
        let _ = write!(out, "/{bits}");
    }
    Ok(())
}

fn ipv6(addr: &[u8; 16], out: &mut String) {
    let words: Vec<u16> = addr.chunks_exact(2).map(|w| u16::from_be_bytes([w[0], w[1]])).collect();
    // The longest run of zero words (the first of equal runs), if at least two long.
    // (first word, length) of runs of zero words.
    type Run = Option<(usize, usize)>;
    let (mut best, mut cur): (Run, Run) = (None, None);
    for (i, w) in words.iter().enumerate() {
        if *w == 0 {
            cur = Some(cur.map_or((i, 1), |(b, l)| (b, l + 1)));
        } else if let Some(c) = cur.take() {
            if best.is_none_or(|b| c.1 > b.1) {
                best = Some(c);
            }
        }
    }
    if let Some(c) = cur {
        if best.is_none_or(|b| c.1 > b.1) {
            best = Some(c);
        }
    }
    let best = best.filter(|b| b.1 >= 2);
    for (i, w) in words.iter().enumerate() {
        if let Some((base, len)) = best {
            if i >= base && i < base + len {
                if i == base {
                    out.push(':');
                }
                continue;
            }
        }
        if i != 0 {
            out.push(':');
        }
        let embedded = best.is_some_and(|(base, len)| {
            i == 6 && base == 0 && (len == 6 || (len == 7 && words[7] != 1) || (len == 5 && words[5] == 0xffff))
        });
        if embedded {
            let _ = write!(out, "{}.{}.{}.{}", addr[12], addr[13], addr[14], addr[15]);
            break;
        }
        let _ = write!(out, "{w:x}");
    }
    if best.is_some_and(|(base, len)| base + len == 8) {
        out.push(':');
    }
}

/// Appends a macaddr (6 bytes) or macaddr8 (8 bytes): lowercase hex pairs joined by colons.
pub(super) fn mac(b: &[u8], len: usize, out: &mut String) -> Result<(), DecodeError> {
    if b.len() != len {
        return Err(DecodeError::new("macaddr", format!("{} bytes, expected {len}", b.len())));
    }
    for (i, x) in b.iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        super::push_hex(out, std::slice::from_ref(x));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(family: u8, bits: u8, cidr: bool, addr: &[u8]) -> String {
        let mut b = vec![family, bits, cidr as u8, addr.len() as u8];
        b.extend_from_slice(addr);
        let mut s = String::new();
        inet(&b, &mut s).unwrap();
        s
    }

    #[test]
    fn addresses() {
        assert_eq!(show(2, 32, false, &[192, 168, 0, 1]), "192.168.0.1");
        assert_eq!(show(2, 24, true, &[10, 1, 2, 0]), "10.1.2.0/24");
        assert_eq!(show(2, 32, true, &[10, 1, 2, 3]), "10.1.2.3/32");
        let mut v6 = [0u8; 16];
        v6[0] = 0x20;
        v6[1] = 0x01;
        v6[2] = 0x0d;
        v6[3] = 0xb8;
        v6[15] = 1;
        assert_eq!(show(3, 128, false, &v6), "2001:db8::1");
        assert_eq!(show(3, 128, false, &[0; 16]), "::");
        let mut mapped = [0u8; 16];
        mapped[10] = 0xff;
        mapped[11] = 0xff;
        mapped[12..].copy_from_slice(&[1, 2, 3, 4]);
        assert_eq!(show(3, 128, false, &mapped), "::ffff:1.2.3.4");
        assert_eq!(show(3, 64, true, &v6[..8].iter().chain(&[0u8; 8]).copied().collect::<Vec<_>>()), "2001:db8::/64");
    }
}
