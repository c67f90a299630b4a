//! Meta-issuer patterns (§6.2): the pattern is literal text in which every `*` stands for one
//! or more of `[-_a-zA-Z0-9]`, and the whole issuer URL must match (anchored both ends), so a
//! `*` can never swallow `.`, `/`, `:` or `?` (the fix for GHSA-59jp-pj84-45mr).

/// A compiled meta-issuer pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetaPattern {
    source: String,
    /// Literal pieces between the `*`s (`parts.len()` = number of `*` + 1).
    parts: Vec<String>,
}

fn wild(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-' || c == b'_'
}

impl MetaPattern {
    /// Compiles `pattern`.
    pub fn new(pattern: &str) -> Self {
        Self {
            source: pattern.to_owned(),
            parts: pattern.split('*').map(str::to_owned).collect(),
        }
    }

    /// The pattern as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Number of literal bytes: more literal text = more specific (used to order patterns).
    pub fn literal_len(&self) -> usize {
        self.parts.iter().map(String::len).sum()
    }

    /// Whether `issuer` matches the whole pattern.
    pub fn matches(&self, issuer: &str) -> bool {
        let s = issuer.as_bytes();
        let Some((first, rest)) = self.parts.split_first() else {
            return false;
        };
        if !s.starts_with(first.as_bytes()) {
            return false;
        }
        match_rest(&s[first.len()..], rest)
    }
}

/// `s` must be: one-or-more wildcard bytes, then `parts[0]`, then (recursively) the rest.
fn match_rest(s: &[u8], parts: &[String]) -> bool {
    let Some((lit, rest)) = parts.split_first() else {
        return s.is_empty();
    };
    let lit = lit.as_bytes();
    // The wildcard run is s[..n] with n >= 1, all wildcard bytes; try each split.
    let max_run = s.iter().take_while(|c| wild(**c)).count();
    (1..=max_run).any(|n| s[n..].starts_with(lit) && match_rest(&s[n + lit.len()..], rest))
}

#[cfg(test)]
mod tests {
    use super::MetaPattern;

    #[test]
    fn wildcards_do_not_cross_separators() {
        let p = MetaPattern::new("https://oidc.eks.*.amazonaws.com/id/*");
        assert!(p.matches("https://oidc.eks.us-west-2.amazonaws.com/id/ABC123"));
        assert!(!p.matches("https://oidc.eks.us-west-2.evil.com/x.amazonaws.com/id/ABC"));
        assert!(!p.matches("https://oidc.eks.a.b.amazonaws.com/id/ABC"));
        assert!(!p.matches("https://oidc.eks.us-west-2.amazonaws.com/id/ABC/extra"));
        assert!(!p.matches("https://oidc.eks..amazonaws.com/id/ABC"));
        assert!(!p.matches("http://localhost?x=https://oidc.eks.a.amazonaws.com/id/B"));
        assert!(!p.matches("https://oidc.eks.us-west-2.amazonaws.com/id/"));
        let lit = MetaPattern::new("https://a.example");
        assert!(lit.matches("https://a.example"));
        assert!(!lit.matches("https://a.example/"));
    }
}
