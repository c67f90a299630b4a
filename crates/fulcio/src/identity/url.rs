//! URL building the way Fulcio's Go code does it, so SAN and extension strings match byte for
//! byte: `url.JoinPath` (clean the joined path, keep a trailing slash) followed by
//! `URL.String()` (the path left as-is when it is validly encoded, else percent-escaped).

use crate::error::{Error, Result};

/// A parsed absolute URL, split as far as Fulcio's code needs: `scheme://authority` and path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct BaseUrl {
    /// `scheme`, lower-case.
    pub scheme: String,
    /// The host (and port), as written.
    pub authority: String,
    /// The path (may be empty), query and fragment dropped.
    pub path: String,
}

impl BaseUrl {
    /// Parses `https://host[:port][/path]`; anything without `scheme://host` is refused.
    pub fn parse(s: &str) -> Option<Self> {
        let (scheme, rest) = s.split_once("://")?;
        if scheme.is_empty()
            || !scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            || !scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        {
            return None;
        }
        let rest = rest.split(['?', '#']).next().unwrap_or_default();
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        if authority.is_empty() {
            return None;
        }
        Some(Self {
            scheme: scheme.to_ascii_lowercase(),
            authority: authority.to_owned(),
            path: path.to_owned(),
        })
    }

    /// Host without port or user info.
    pub fn host(&self) -> &str {
        let a = self.authority.rsplit('@').next().unwrap_or_default();
        if let Some(stripped) = a.strip_prefix('[') {
            return stripped.split(']').next().unwrap_or_default();
        }
        a.split(':').next().unwrap_or_default()
    }

    /// Go's `baseURL.JoinPath(elems...).String()`.
    pub fn join(&self, elems: &[&str]) -> String {
        let mut joined = if self.path.is_empty() {
            String::from("/")
        } else {
            self.path.clone()
        };
        for e in elems {
            joined.push('/');
            joined.push_str(e);
        }
        let trailing = elems
            .last()
            .map(|e| e.ends_with('/'))
            .unwrap_or(self.path.ends_with('/'));
        let mut p = clean_path(&joined);
        if trailing && !p.ends_with('/') {
            p.push('/');
        }
        format!(
            "{}://{}{}",
            self.scheme,
            self.authority,
            go_escaped_path(&p)
        )
    }
}

/// Go's `path.Clean` for absolute paths: collapse `//`, drop `.`, resolve `..`.
fn clean_path(p: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    format!("/{}", out.join("/"))
}

/// What `URL.EscapedPath` returns for a path set through `JoinPath`: the raw string when it is
/// a valid encoding (Go's `validEncoded`), else every byte outside the path-safe set escaped.
pub(crate) fn go_escaped_path(p: &str) -> String {
    if valid_encoded(p) {
        return p.to_owned();
    }
    let mut out = String::with_capacity(p.len());
    for b in p.bytes() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'_'
                    | b'.'
                    | b'~'
                    | b'$'
                    | b'&'
                    | b'+'
                    | b','
                    | b'/'
                    | b':'
                    | b';'
                    | b'='
                    | b'@'
            );
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn valid_encoded(p: &str) -> bool {
    let b = p.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let ok = c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'-' | b'_'
                    | b'.'
                    | b'~'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b':'
                    | b'@'
                    | b'['
                    | b']'
                    | b'/'
            );
        if c == b'%' {
            if !(b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
            {
                return false;
            }
            i += 3;
            continue;
        }
        if !ok {
            return false;
        }
        i += 1;
    }
    true
}

/// Checks that a rendered SAN is an absolute URI that fits an IA5String, escaping bytes that
/// Go's URL serializer would escape (non-ASCII, controls, space, `"<>\^`{|}`).
pub(crate) fn uri_san(rendered: &str) -> Result<String> {
    let scheme_ok = rendered
        .split_once(':')
        .map(|(s, _)| {
            !s.is_empty()
                && s.starts_with(|c: char| c.is_ascii_alphabetic())
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        })
        .unwrap_or(false);
    if !scheme_ok {
        return Err(Error::Template(format!(
            "subject alternative name {rendered:?} is not an absolute URI"
        )));
    }
    let mut out = String::with_capacity(rendered.len());
    for b in rendered.bytes() {
        if b <= 0x20
            || b >= 0x7f
            || matches!(
                b,
                b'"' | b'<' | b'>' | b'\\' | b'^' | b'`' | b'{' | b'|' | b'}'
            )
        {
            out.push_str(&format!("%{b:02X}"));
        } else {
            out.push(b as char);
        }
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn join_matches_go() {
        let gh = BaseUrl::parse("https://github.com/").unwrap();
        assert_eq!(
            gh.join(&["octo/repo/.github/workflows/b.yml@refs/heads/main"]),
            "https://github.com/octo/repo/.github/workflows/b.yml@refs/heads/main"
        );
        assert_eq!(
            gh.join(&["o/r", "actions/runs", "1", "attempts", "2"]),
            "https://github.com/o/r/actions/runs/1/attempts/2"
        );
        let gl = BaseUrl::parse("https://gitlab.example.com").unwrap();
        assert_eq!(
            gl.join(&["g/p", "/-/jobs/", "9"]),
            "https://gitlab.example.com/g/p/-/jobs/9"
        );
        // `..` is resolved and a space forces escaping, as Go does.
        assert_eq!(gh.join(&["a/../b c"]), "https://github.com/b%20c");
        // Sub-delimiters stay when the whole path is validly encoded.
        assert_eq!(gh.join(&["a!(b)"]), "https://github.com/a!(b)");
        assert_eq!(gh.join(&["a!(b) c"]), "https://github.com/a%21%28b%29%20c");
    }
}
