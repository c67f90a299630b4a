//! RFC 6962 §2.1 hashing: the domain-separated leaf and interior-node hashes.

use ring::digest::{Context, SHA256};

/// Size in bytes of every hash in the tree (SHA-256).
pub const HASH_SIZE: usize = 32;

/// A SHA-256 digest: a leaf hash, an interior node hash or a root.
pub type Hash = [u8; HASH_SIZE];

/// The root of the empty tree: SHA-256 of the empty string (RFC 6962 §2.1).
pub const EMPTY_ROOT: Hash = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];

const LEAF_PREFIX: u8 = 0x00;
const NODE_PREFIX: u8 = 0x01;

/// The hash of a leaf: SHA-256(0x00 ‖ data). The 0x00 prefix keeps a leaf from ever being
/// mistaken for an interior node (second-preimage resistance).
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut ctx = Context::new(&SHA256);
    ctx.update(&[LEAF_PREFIX]);
    ctx.update(data);
    to_hash(ctx)
}

/// The hash of an interior node: SHA-256(0x01 ‖ left ‖ right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut ctx = Context::new(&SHA256);
    ctx.update(&[NODE_PREFIX]);
    ctx.update(left);
    ctx.update(right);
    to_hash(ctx)
}

fn to_hash(ctx: Context) -> Hash {
    let mut out = [0u8; HASH_SIZE];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_root_is_sha256_of_nothing() {
        let digest = ring::digest::digest(&SHA256, b"");
        assert_eq!(digest.as_ref(), EMPTY_ROOT);
    }

    #[test]
    fn leaf_and_node_hashes_are_domain_separated() {
        let a = leaf_hash(b"a");
        let b = leaf_hash(b"b");
        let mut concat = Vec::new();
        concat.extend_from_slice(&a);
        concat.extend_from_slice(&b);
        assert_ne!(node_hash(&a, &b), leaf_hash(&concat));
        assert_ne!(node_hash(&a, &b), node_hash(&b, &a));
    }
}
