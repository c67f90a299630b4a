//! Key material in the data directory beyond the transparency-log key: the CA chain and its
//! issuing key, the CT log key, and the development OIDC issuer's key.
//!
//! Each submodule has the same two halves: `ensure` (for `init`: create what is missing,
//! check and reuse what exists, never overwrite) and `load` (for `serve` and `trust-root`:
//! read, parse and cross-check, with errors that name the file). A key is the identity of the
//! service it signs for, so neither half ever replaces a file.

pub mod ca;
pub mod ct;
pub mod dev_oidc;
pub mod tsa;

/// What `ensure` did with one file, for `init`'s summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Made {
    /// The file was written now.
    Created,
    /// The file existed and was checked and reused.
    Kept,
}

/// What `ensure` did, file by file: path, what happened, what the file is.
pub type Steps = Vec<(std::path::PathBuf, Made, &'static str)>;

/// Prints `init`'s line for `path`.
pub fn report(made: Made, path: &std::path::Path, what: &str) {
    match made {
        Made::Created => println!("created {} ({what})", path.display()),
        Made::Kept => println!("kept    {} ({what})", path.display()),
    }
}
